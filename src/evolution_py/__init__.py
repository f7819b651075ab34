"""evolution-py: a drop-in Python server for Evolution API clients."""

__version__ = "0.1.0"
# The upstream version our HTTP contract follows; GET / reports it to clients that check it.
UPSTREAM_VERSION = "2.3.6"
