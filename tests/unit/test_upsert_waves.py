"""upsert_waves (events/outbox_sql.py): upserts grouped by statement text so that a row's upserts
keep their order when each text's group is sent at once."""

from __future__ import annotations

from evolution_py.events.outbox_sql import upsert_waves
from evolution_py.store.db import Upsert


def _u(table: str, jid: str) -> Upsert:
    return Upsert(table, "inst", jid, {}, {})


def test_rows_under_one_text_share_a_wave_in_order() -> None:
    upserts = [_u("Contact", "a"), _u("Chat", "a"), _u("Contact", "b"), _u("Contact", "a"), _u("Chat", "a")]
    texts = ["c1", "h1", "c1", "c1", "h1"]
    assert upsert_waves(upserts, texts) == [{"c1": [0, 2, 3], "h1": [1, 4]}]


def test_a_row_under_another_text_starts_the_next_wave() -> None:
    upserts = [_u("Contact", "a"), _u("Contact", "b"), _u("Contact", "a"), _u("Contact", "b"), _u("Chat", "a")]
    texts = ["with-name", "with-name", "no-name", "with-name", "h1"]
    # a's second upsert has another text: it and everything after it go to the next wave
    assert upsert_waves(upserts, texts) == [{"with-name": [0, 1]}, {"no-name": [2], "with-name": [3], "h1": [4]}]


def test_the_same_chat_in_two_tables_is_two_rows() -> None:
    upserts = [_u("Contact", "a"), _u("Chat", "a")]
    assert upsert_waves(upserts, ["t1", "t2"]) == [{"t1": [0], "t2": [1]}]
    assert upsert_waves([], []) == [{}]
