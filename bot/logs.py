"""Logging setup: plain text for humans, one JSON object per line when `LOG_FORMAT=json`."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Structured records for log shippers; extra fields passed with `extra=` are kept."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries(root.level)


NOISY = ("aiohttp.access", "tortoise", "aiosqlite", "asyncio", "arq")


def quiet_libraries(level: int) -> None:
    """Libraries log at WARNING at the most talkative, whatever LOG_LEVEL says: at DEBUG,
    Tortoise and aiosqlite log every SQL statement with its values, tokens included."""
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, level))
