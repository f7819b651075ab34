"""`evolution-py import evolution-api|evolution-go`: move a running upstream server's database (and its
WhatsApp sessions) into ours. Read-only on the source; idempotent (rows are inserted only where absent,
never updated); resumable (a per-source checkpoint file under DATA_DIR/import/)."""
