"""A misbehaving SQLite writer process for the tests (`-m tests.bot.pipeline.writer_standin`).

`WRITER_STANDIN=dies`: commits its first batch, then exits without answering (the answer is
lost with the process). `WRITER_STANDIN=hangs`: reads its first batch and never answers.
"""

from __future__ import annotations

import os
import sys
import time

from bot.fastjson import loads
from bot.pipeline.ingest.sqlite_writer_proc import connect, read_frame, store, write_frame


def main() -> None:
    con = connect(sys.argv[1], 10.0)
    write_frame(sys.stdout.buffer, {"ready": "stand-in"})
    frame = read_frame(sys.stdin.buffer)
    if frame is None:
        return
    if os.environ.get("WRITER_STANDIN") == "hangs":
        time.sleep(3600)
    store(con, loads(frame))  # committed...
    con.close()
    os._exit(3)  # ...and no answer


if __name__ == "__main__":
    main()
