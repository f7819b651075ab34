"""Outside text made safe for both databases, and the short reasons kept of receivers' answers."""

from __future__ import annotations

from evolution_py.events.event import Event
from evolution_py.events.outbox import new_row
from evolution_py.events.sink import Delivery
from evolution_py.sinks.answers import failure_reason
from evolution_py.store.safe_text import safe_json, safe_optional, safe_text, safe_url, short_reason


def test_safe_text_removes_nul_replaces_surrogates_and_cuts() -> None:
    assert safe_text("a\x00b\ud800c") == "ab\ufffdc"
    assert safe_text("\U0001f600" * 5, 3) == "\U0001f600" * 3
    clean = "plain text"
    assert safe_text(clean) is clean
    assert safe_optional(None, 10) is None and safe_optional("x\x00", 10) == "x"
    assert safe_url("http://h/\x00p", 20) == "http://h/p" and safe_url("http://h/" + "p" * 30, 20) is None


def test_safe_json_walks_keys_and_values_and_copies_only_when_needed() -> None:
    dirty = {"k\x00": ["v\x00", {"n": 1, "s": "\udc00"}], "ok": True}
    assert safe_json(dirty) == {"k": ["v", {"n": 1, "s": "\ufffd"}], "ok": True}
    assert dirty["k\x00"] == ["v\x00", {"n": 1, "s": "\udc00"}]  # the caller's value is left alone
    clean = {"a": [1, "b", {"c": None}]}
    assert safe_json(clean) is clean


def test_short_reason_is_one_printable_line() -> None:
    assert short_reason(b"  bad\x00\r\n\tgateway\x1b[0m  ") == "bad gateway [0m"
    assert short_reason(b"\xff\xfe ok") == "\ufffd\ufffd ok"
    long = short_reason(b"x" * 10_000, 200)
    assert len(long) == 200 and long.endswith("\u2026")


def test_failure_reason() -> None:
    # The status and its standard phrase only: nothing a receiver wrote (see sinks/answers.py).
    assert failure_reason(503) == "HTTP 503 Service Unavailable"
    assert failure_reason(500) == "HTTP 500 Internal Server Error"
    assert failure_reason(599) == "HTTP 599"


def test_outbox_rows_are_safe_and_the_delivery_sends_what_is_stored() -> None:
    data = {"message": {"conversation": "hi\x00there"}, "pushName": "Ana\ud800"}
    event = Event(event="messages.upsert", instance="i", instance_id="i-id", data=data)
    delivery = Delivery(sink="webhook", target="http://h/x", event=event, options={"headers": {"x": "1\x00"}})
    row = new_row(delivery, 0.0)
    payload = row[7]
    assert "\\u0000" not in payload and "\ud800" not in payload
    assert delivery.event.data == {"message": {"conversation": "hithere"}, "pushName": "Ana\ufffd"}
    assert delivery.options == {"headers": {"x": "1"}}
    assert data["message"] == {"conversation": "hi\x00there"}  # the producer's record is its own

    plain = Delivery(
        sink="webhook", target="http://h/x", event=Event(event="e", instance="i", instance_id="i", data={})
    )
    before = plain.event
    new_row(plain, 0.0)
    assert plain.event is before


def test_old_dead_letters_show_no_answer_text() -> None:
    """Rows stored before issue 10 item 3 kept 200 characters of the answer: shown without them."""
    from evolution_py.events.outbox import shown_error

    assert shown_error("HTTP 500: internal secret hunter2") == "HTTP 500 Internal Server Error"
    assert shown_error("HTTP 502 (gzip body not shown)") == "HTTP 502 (gzip body not shown)"
    assert shown_error("ClientResponseError: 400, message='Invalid status line b\"-ERR x\"'") == "ClientResponseError"
    assert shown_error("no answer from http://h:1 within 2s") == "no answer from http://h:1 within 2s"
    assert shown_error("HTTP 404 Not Found") == "HTTP 404 Not Found"
    assert shown_error(None) is None
