"""The `WHATSAPP-BAILEYS` channel on neonize (whatsmeow). Only code under this package imports neonize."""
