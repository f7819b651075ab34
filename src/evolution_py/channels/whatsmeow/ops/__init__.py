"""Operations of the WhatsApp Web channel beyond connect/send/receive, one module per feature
(chat, group, label, profile, call, business), each a mixin over `OpsHost`."""
