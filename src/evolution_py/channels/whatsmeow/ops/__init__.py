"""Operations of the WhatsApp Web channel beyond connect/send/receive, one module per feature
(chat, group, label, profile, call, business), each a mixin over `OpsHost`.

The channel mixes in `WhatsAppWebOps` (before `BaseChannel`, so its methods win over the
"Method not available" fallback). The route → method map is in docs/whatsapp-operations.md.
"""

from evolution_py.channels.whatsmeow.ops.business import BusinessOps
from evolution_py.channels.whatsmeow.ops.call import CallOps
from evolution_py.channels.whatsmeow.ops.chat import ChatOps
from evolution_py.channels.whatsmeow.ops.group import GroupOps
from evolution_py.channels.whatsmeow.ops.label import LabelOps
from evolution_py.channels.whatsmeow.ops.profile import ProfileOps


class WhatsAppWebOps(ChatOps, GroupOps, LabelOps, ProfileOps, CallOps, BusinessOps):
    """Every operations mixin in one base class."""


__all__ = ["BusinessOps", "CallOps", "ChatOps", "GroupOps", "LabelOps", "ProfileOps", "WhatsAppWebOps"]
