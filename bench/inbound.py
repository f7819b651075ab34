"""Inbound messages (`POST /webhook/evolution` on an EVOLUTION instance) with wrk: ours without a
sink, ours with a webhook for MESSAGES_UPSERT, and the raw-driver baseline (bench/raw_send_app.py:
the message row, the contact and chat upserts and an outbox row in one transaction).

    .venv/bin/python bench/inbound.py [--db sqlite|postgres] [--seconds 3] [--rounds 4] [--connections 32]

Same harness as bench/send_text.py (alternating slices, ratios over the sums, wrk's own CPU).
"""

from __future__ import annotations

from send_text import main

if __name__ == "__main__":
    main(inbound=True)
