"""How the WhatsApp Web features word a failure: upstream's two-string errors, and one clear 400
for what whatsmeow can do but neonize 0.5.2 cannot reach.

App-state patches (archive, unread, labels): neonize's `send_app_state` decodes the patch name by
comparing pointers (`switch patchInfo.Type { case PatchInfo_REGULAR.Enum(): ...}`), which never
matches, and has no case for `regular_low`; every patch would reach WhatsApp with an empty
collection name. Fixing it takes a neonize build that compares `*patchInfo.Type` values and maps
REGULAR_LOW/REGULAR_HIGH; then the mutations whatsmeow's `appstate.BuildArchive`/`BuildLabelChat`
make can be sent from Python through `send_app_state`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from evolution_py.channels.base import ChannelError
from evolution_py.channels.whatsapp_web.session import CallTimedOut

APP_STATE = "neonize 0.5.2 cannot send WhatsApp app-state patches (see docs/whatsapp-operations.md)"
PICTURE_REMOVAL = "neonize 0.5.2 passes an empty, non-nil picture to whatsmeow, which only removes on nil"
CHANNEL_LABEL = "Baileys"  # upstream names the channel so in "Method not available on ..."
CATALOG = "whatsmeow has no product catalog query and neonize 0.5.2 cannot send raw IQs"


def error_text(exc: BaseException) -> str:
    """The second message of upstream's two-string errors: its `error.toString()` (`Error: ...`)."""
    text = str(exc) or type(exc).__name__
    return text if text.startswith("Error") else f"Error: {text}"


def unsupported(route: str, reason: str) -> ChannelError:
    return ChannelError(f"{route} is not available on the WhatsApp Web channel: {reason}", status=400)


@contextmanager
def go_failures(*messages: str, status: int = 400) -> Iterator[None]:
    """Any neonize/Go failure inside becomes upstream's error answer: `messages`, then the failure's
    own text (`error_text`), with `status`. A call WhatsApp did not answer in time keeps its own 400."""
    try:
        yield
    except CallTimedOut:
        raise
    except Exception as exc:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
        raise ChannelError(*messages, error_text(exc), status=status) from None
