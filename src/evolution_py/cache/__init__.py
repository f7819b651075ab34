"""Upstream's cache (CACHE_REDIS_* and CACHE_LOCAL_*): a Redis cache shared by every node, a local
in-process one, and the rule between them: Redis down degrades to the local cache with a warning,
never a failed request."""

from evolution_py.cache.config import CacheSettings, cache_settings
from evolution_py.cache.layered import Cache

__all__ = ["Cache", "CacheSettings", "cache_settings"]
