"""The bot contact's notices in upstream's words, by LANGUAGE (en, pt-BR, es)."""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "qr_generated": "QRCode successfully generated!",
        "scan_qr": "Scan this QR code within the next 40 seconds.",
        "qr_limit": "QRCode generation limit reached, to generate a new QRCode, send the 'init' message again.",
        "connected": "🚀 Connection successfully established!",
        "disconnect": "🚨 Disconnecting WhatsApp from inbox *{inboxName}*.",
        "already_connected": "🚨 {inboxName} instance is connected.",
        "clear_cache": "✅ {inboxName} instance cache cleared.",
        "not_found": "⚠️ {inboxName} instance not found.",
        "status": "⚠️ {inboxName} instance status: *{state}*.",
        "not_sent": "🚨 The message could not be sent. Please check your connection. {error}",
        "edited": "Edited Message",
    },
    "pt-BR": {
        "qr_generated": "QRCode gerado com sucesso!",
        "scan_qr": "Escaneie o QRCode com o WhatsApp nos próximos 40 segundos.",
        "qr_limit": "Limite de geração de QRCode atingido! Para gerar um novo QRCode, "
        "envie o texto 'init' nesta conversa.",
        "connected": "🚀 Conectado com sucesso!",
        "disconnect": "🚨 Instância *{inboxName}* desconectada do WhatsApp.",
        "already_connected": "🚨 Instância *{inboxName}* já está conectada.",
        "clear_cache": "✅ Instância *{inboxName}* cache removido.",
        "not_found": "⚠️ Instância *{inboxName}* não encontrada.",
        "status": "⚠️ Status da instância {inboxName}: *{state}*.",
        "not_sent": "🚨 Não foi possível enviar a mensagem. Verifique sua conexão. {error}",
        "edited": "Mensagem editada",
    },
    "es": {
        "qr_generated": "Código QR generado exitosamente!",
        "scan_qr": "Escanea este código QR en los próximos 40 segundos.",
        "qr_limit": "🚨 Se alcanzó el límite de generación de QRCode. Para generar un nuevo QRCode, "
        "envíe el mensaje 'init' nuevamente.",
        "connected": "🚀 ¡Conexión establecida exitosamente!",
        "disconnect": "🚨 Instancia *{inboxName}* desconectado de Whatsapp.",
        "already_connected": "🚨 La instancia {inboxName} está conectada.",
        "clear_cache": "✅ Caché de la instancia {inboxName} borrada.",
        "not_found": "⚠️ Instancia {inboxName} no encontrada.",
        "status": "⚠️ Estado de la instancia {inboxName}: *{state}*.",
        "not_sent": "🚨 El mensaje no se pudo enviar. Comprueba tu conexión. {error}",
        "edited": "Mensaje editado",
    },
}


def text(language: str, key: str, **values: str) -> str:
    template = _TEXTS.get(language, _TEXTS["en"]).get(key) or _TEXTS["en"][key]
    return template.format(**values)
