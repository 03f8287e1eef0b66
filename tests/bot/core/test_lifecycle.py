from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

import bot.core
from bot.core import Dispatcher, Router


def record(log: list[str], entry: str) -> Callable[[], None]:
    return lambda: log.append(entry)


async def test_startup_root_first_shutdown_reversed_and_resilient(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dp = Dispatcher()
    a = dp.include_router(Router(name="a"))
    b = a.include_router(Router(name="b"))
    log: list[str] = []
    for name, router in (("dp", dp), ("a", a), ("b", b)):
        router.startup.register(record(log, f"start {name}"))

    @dp.startup()
    async def with_data(runtime: str) -> None:  # hooks name what emit_startup passes
        log.append(f"runtime {runtime}")

    await dp.emit_startup(runtime="rt")
    assert log == ["start dp", "runtime rt", "start a", "start b"]

    log.clear()

    def failing() -> None:
        raise RuntimeError("shutdown hook failed")

    dp.shutdown.register(record(log, "stop dp 1"))
    dp.shutdown(record(log, "stop dp 2"))
    a.shutdown.register(failing)
    b.shutdown.register(record(log, "stop b"))
    await dp.emit_shutdown()
    assert log == ["stop b", "stop dp 2", "stop dp 1"]
    assert "shutdown hook failed" in caplog.text


def test_core_imports_no_channel_code() -> None:
    root = Path(bot.core.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("bot.channels")]
    assert offenders == []


@pytest.mark.parametrize("name", bot.core.__all__)
def test_public_api_is_importable(name: str) -> None:
    assert getattr(bot.core, name) is not None or name == "DEFAULT_STATE"
