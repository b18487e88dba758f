"""The spool table on its own: order, batch limits by count and bytes, removal, depth and age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.state import db, spool

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def action(i: int) -> spool.SpoolItem:
    return spool.SpoolItem.from_action(
        {"_op_type": "index", "_index": "listings", "_id": f"id{i}", "_source": {"t": "x"}})


@pytest.mark.parametrize(("n", "limit", "max_bytes", "expected_ids"), [
    (5, 10, None, ["id0", "id1", "id2", "id3", "id4"]),
    (5, 2, None, ["id0", "id1"]),
    (5, 10, 160, ["id0", "id1", "id2"]),  # about 50 bytes of JSON each
    (5, 10, 10, ["id0"]),  # at least one, however large
    (0, 10, None, []),
])
def test_peek_is_oldest_first_within_limits(tmp_path: Path, n: int, limit: int,
                                           max_bytes: int | None, expected_ids: list[str]) -> None:
    conn = db.connect(tmp_path)
    spool.enqueue(conn, [action(i) for i in range(n)], T0)
    rows = spool.peek(conn, limit, max_bytes=max_bytes)
    assert [r.item.doc_id for r in rows] == expected_ids
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)


def test_remove_and_failures_keep_the_rest_in_order(tmp_path: Path) -> None:
    conn = db.connect(tmp_path)
    spool.enqueue(conn, [action(i) for i in range(4)], T0)
    first = spool.peek(conn, 4)
    spool.remove(conn, [first[0].seq, first[2].seq])
    spool.note_failure(conn, [first[1].seq], "503 proxy")
    spool.enqueue(conn, [action(9)], T0 + timedelta(seconds=5))
    left = spool.peek(conn, 10)
    assert [r.item.doc_id for r in left] == ["id1", "id3", "id9"]
    assert [r.attempts for r in left] == [1, 0, 0]


@pytest.mark.parametrize(("enqueued", "now", "rows", "age_s"), [
    ([], T0, 0, 0.0),
    ([T0], T0 + timedelta(seconds=90), 1, 90.0),
    ([T0 + timedelta(seconds=30), T0], T0 + timedelta(seconds=60), 2, 60.0),
])
def test_depth_and_age(tmp_path: Path, enqueued: list[datetime], now: datetime, rows: int,
                       age_s: float) -> None:
    conn = db.connect(tmp_path)
    for i, when in enumerate(enqueued):
        spool.enqueue(conn, [action(i)], when)
    depth = spool.depth(conn)
    assert (depth.rows, depth.age_s(now)) == (rows, age_s)


def test_an_action_is_two_bulk_lines() -> None:
    item = spool.SpoolItem.from_action({"_op_type": "index", "_index": "listings", "_id": "a",
                                        "version": 3, "version_type": "external_gte",
                                        "_source": {"title": "Ünïcode"}})
    assert item.op == ('{"index":{"_index":"listings","_id":"a","version":3,'
                       '"version_type":"external_gte"}}')
    assert item.source == '{"title":"Ünïcode"}'


def test_the_spool_survives_reopening(tmp_path: Path) -> None:
    spool.enqueue(db.connect(tmp_path), [action(1), action(2)], T0)
    assert [r.item.doc_id for r in spool.peek(db.connect(tmp_path), 10)] == ["id1", "id2"]
