"""Baileys (Evolution API) auth state → whatsmeow's store, so an instance moves without a new QR code.

`convert_baileys(files)` reads the auth state; `write_session(conversion, path)` writes the SQLite
store neonize opens for the instance. See docs/session-conversion.md.
"""

from evolution_py.importing.baileys.convert import Conversion, NotPaired, convert_baileys
from evolution_py.importing.baileys.store import StoreNotEmpty, write_session

__all__ = ["Conversion", "NotPaired", "StoreNotEmpty", "convert_baileys", "write_session"]
