"""The import commands as real processes: exit codes, output, and two imports at once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.db import close_db, init_db
from loyalty.models import Member, MemberTag, Order, PointsEntry
from tests.conftest import ROOT
from tests.loyalty.imports.conftest import FIXTURES


async def _bot(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def env(clean_db: str, content_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": clean_db,
        "CONTENT_PATH": str(content_path),
        "REDIS_URL": "",
        "PYTHONPATH": str(ROOT),
    }


@pytest.mark.slow
async def test_cli_import_refreshes_segments_and_fails_on_bad_rows(env: dict[str, str]) -> None:
    code, out, err = await _bot(
        "import", "members", str(FIXTURES / "members_bad_rows.csv"), env=env
    )
    assert code == 1, err
    assert "members_bad_rows.csv:3 phone:" in out
    code, out, err = await _bot(
        "import", "members", str(FIXTURES / "members_vi_semicolon_bom.csv"), env=env
    )
    assert code == 0, err
    assert out.splitlines() == [
        "members: 3 new, 0 updated, 0 unchanged",
        "segments refreshed: 3 members",
    ]
    code, out, err = await _bot("segments", "refresh", env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:3] == ["all 3", "has_phone 3", "no_order_yet 3"]
    assert "regulars 0" in lines


@pytest.mark.slow
async def test_the_same_import_twice_at_once_doubles_nothing(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    members = tmp_path / "members.csv"
    members.write_text(
        "phone,name,tags,points\n"
        + "".join(f"09{i:08d},Khách {i},vip;sỉ,{i % 7 * 10}\n" for i in range(1, 1201)),
        encoding="utf-8",
    )
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,phone,amount,paid_at\n"
        + "".join(
            f"O{i},09{i % 900 + 1:08d},{(i % 13 + 1) * 50000},2026-11-01\n" for i in range(1500)
        ),
        encoding="utf-8",
    )
    for path, kind in ((members, "members"), (orders, "orders")):
        results = await asyncio.gather(
            *(_bot("import", kind, str(path), "--no-refresh", env=env) for _ in range(2))
        )
        assert [r[0] for r in results] == [0, 0], results
    await init_db(database_url)
    try:
        assert await Member.all().count() == 1200
        assert await MemberTag.all().count() == 2400
        credited = [i % 7 * 10 for i in range(1, 1201) if i % 7]
        assert await PointsEntry.filter(kind="import").count() == len(credited)
        assert sum(await Member.all().values_list("points_balance", flat=True)) == sum(credited)
        assert await Order.all().count() == 1500
    finally:
        await close_db()
