"""The SQLite inbox writer process: `python -m bot.pipeline.ingest.sqlite_writer_proc DB_PATH`.

Started by `serve` (`sqlite_writer.SqliteWriter`) and fed through its stdin and stdout. Each
request is one webhook batch; the process writes it in its own transaction (`BEGIN
IMMEDIATE`, the batch INSERT, `COMMIT`, the WAL synced to disk: `synchronous=FULL`) and
answers with the new rows' ids. Why a process: in `serve` the INSERT ran in aiosqlite's
thread, which needs the interpreter lock back after every step of the statement while the
event loop holds it parsing requests, and the loop waited for it (bench/README.md). Here
SQLite has an interpreter of its own.

Wire format, both ways: a 4-byte big-endian length, then that many bytes of JSON.
- first, from the process: `{"ready": "<sqlite version>"}` once the database is open;
- request: `[v1, v2, ...]`, the batch's values, 7 per row (`sql.COLUMNS`);
- answer: `{"rows": [[id, channel, dedupe_key], ...]}` (the new rows) or `{"error": "..."}`.

The process exits when its stdin closes (`serve` stopped or died) and ignores SIGINT and
SIGTERM, so a Ctrl-C in a terminal or a stop sent to the process group lets `serve` finish
its last batch first (`serve` kills it if it does not exit). Imports stay minimal: it is a
small process beside `serve`.
"""

from __future__ import annotations

import signal
import sqlite3
import struct
import sys
from typing import Any, BinaryIO

from bot.fastjson import dumps_bytes, loads
from bot.pipeline.ingest.sql import COLUMNS, insert_sql

HEADER = struct.Struct(">I")  # the wire format of both sides (`sqlite_writer` reads it too)


def encode_frame(value: Any) -> bytes:
    """One frame: the JSON's length in 4 bytes, big-endian, then the JSON."""
    body = dumps_bytes(value)
    return HEADER.pack(len(body)) + body


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's bytes, or None at the end of the stream."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        return None
    return body


def write_frame(stream: BinaryIO, value: Any) -> None:
    stream.write(encode_frame(value))
    stream.flush()


def connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    """The process's connection: WAL (as Tortoise's), every commit synced to disk."""
    con = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")  # durable before the webhook's 200
    con.execute("PRAGMA journal_size_limit=16384")
    return con


def store(con: sqlite3.Connection, values: list[Any]) -> list[Any]:
    """One batch in one transaction; the new rows as [id, channel, dedupe_key]."""
    count, rest = divmod(len(values), COLUMNS)
    if count == 0 or rest:
        raise ValueError(f"a batch has {COLUMNS} values per row, got {len(values)}")
    con.execute("BEGIN IMMEDIATE")
    try:
        rows = con.execute(insert_sql(count, False), values).fetchall()
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return [list(row) for row in rows]


def serve(path: str, stdin: BinaryIO, stdout: BinaryIO, busy_timeout: float = 10.0) -> None:
    con = connect(path, busy_timeout)
    try:
        write_frame(stdout, {"ready": sqlite3.sqlite_version})
        while (frame := read_frame(stdin)) is not None:
            try:
                answer: dict[str, Any] = {"rows": store(con, loads(frame))}
            except Exception as exc:  # the batch fails, the process goes on
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            write_frame(stdout, answer)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print(
            "usage: python -m bot.pipeline.ingest.sqlite_writer_proc DB_PATH [BUSY_TIMEOUT]",
            file=sys.stderr,
        )
        return 2
    # `serve` says when: it closes stdin once its last batch is answered (a Ctrl-C or a
    # stop signal sent to the whole process group must not cut a batch short).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    busy = float(args[1]) if len(args) == 2 else 10.0
    try:
        serve(args[0], sys.stdin.buffer, sys.stdout.buffer, busy)
    except BrokenPipeError:
        return 0  # serve went away mid-answer
    return 0


if __name__ == "__main__":
    sys.exit(main())
