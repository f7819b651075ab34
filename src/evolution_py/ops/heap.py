"""SERVER_GC_FREEZE: after start-up, the heap the server is built from stays out of the cyclic
garbage collector's way.

Why: a started server holds ~200k long-lived objects (its modules, the app, the loaded instances).
CPython's full collections walk all of them: measured under `wrk` on sendText with a webhook, a
full pass took ~100 ms (the p99 of the run) and the collector ~6 % of the process' time. After
`gc.collect()` + `gc.freeze()` at the end of start-up they are skipped, and with a larger young
generation (short-lived request objects mostly die by reference counting before it fills) the
collector fell to ~0.5 %, and p99 from 125-175 ms to 39-48 ms (bench/RESULTS.md).

The cost: a cycle among objects that existed at start-up and become garbage later (say, an
instance loaded at start and deleted afterwards) is never reclaimed. Only the serving entry points
call this (`python -m evolution_py serve`, `evolution_py.asgi:app`), never an app built in tests.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 7000  # CPython's default is 700


def settle() -> int:
    """Collect once, move every object alive now out of the collector's sight, and let the young
    generation grow tenfold before it is scanned. Returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return gc.get_freeze_count()
