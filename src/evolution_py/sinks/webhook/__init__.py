"""The webhook sink: upstream's per-instance and global HTTP POST delivery, durable and bounded."""

from evolution_py.sinks.webhook.config import WebhookConfig
from evolution_py.sinks.webhook.sink import WebhookSink

__all__ = ["WebhookConfig", "WebhookSink"]
