"""When to try a failed delivery again: upstream's webhook backoff, used by every sink by default."""

from __future__ import annotations

import random

import msgspec


class RetryPolicy(msgspec.Struct, kw_only=True, frozen=True):
    """`max_attempts` counts every attempt, the first included (upstream: 10).

    Delay after the n-th failure: min(initial·2^(n−1), max), ± jitter, never below `initial`
    (upstream's `WEBHOOK_RETRY_*` rule: about 5, 10, 20, ... 300 s).
    """

    max_attempts: int = 10
    initial_delay: float = 5.0
    max_delay: float = 300.0
    exponential: bool = True
    jitter: float = 0.2

    def delay(self, failures: int) -> float:
        if self.exponential:
            # The exponent is capped: a row revived after many attempts (or a large
            # WEBHOOK_RETRY_MAX_ATTEMPTS) would otherwise overflow the float and fail its retry.
            doublings = min(max(failures - 1, 0), 64)
            base = min(self.initial_delay * 2**doublings, self.max_delay)
        else:
            base = self.initial_delay
        base += base * self.jitter * random.uniform(-1.0, 1.0)
        return float(max(self.initial_delay, base))


DEFAULT_POLICY = RetryPolicy()
