"""`import members`: formats, all-or-nothing, --skip-bad, --dry-run, idempotence, merging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import Workbook

from loyalty import points
from loyalty.models import Member, MemberIdentity, MemberTag, PointsEntry
from loyalty.tags import tags_of
from tests.loyalty.imports.conftest import Imported

Run = Callable[..., Awaitable[Imported]]


async def test_vietnamese_headers_semicolons_and_bom(do_import: Run) -> None:
    done = await do_import("members", "members_vi_semicolon_bom.csv")
    assert done.outcome.exit_code == 0, done.text
    assert done.lines[-1] == "members: 3 new, 0 updated, 0 unchanged"
    lan = await Member.get(phone="84912345678")
    assert (lan.name, lan.birthday, lan.source) == ("Nguyễn Thị Lan", date(1990, 3, 25), "import")
    assert lan.joined_at == datetime(2021, 5, 31, 17, 0, tzinfo=UTC)  # 00:00 Vietnam time
    assert lan.points_balance == 1500 and lan.points_earned == 0  # balance, not tier points
    assert await points.ledger_sum(lan) == 1500
    assert await tags_of(lan.id) == ["hà nội", "vip"]
    assert await MemberIdentity.filter(kind="phone", value="84987654321").exists()
    hoa = await Member.get(phone="84903111222")
    assert await tags_of(hoa.id) == ["khách sỉ"]


async def test_the_same_file_twice_changes_nothing(do_import: Run) -> None:
    await do_import("members", "members_vi_semicolon_bom.csv")
    before = (
        await Member.all().count(),
        await PointsEntry.all().count(),
        await MemberTag.all().count(),
    )
    again = await do_import("members", "members_vi_semicolon_bom.csv")
    assert again.lines[-1] == "members: 0 new, 0 updated, 3 unchanged"
    after = (
        await Member.all().count(),
        await PointsEntry.all().count(),
        await MemberTag.all().count(),
    )
    assert after == before
    assert (await Member.get(phone="84912345678")).points_balance == 1500


async def test_an_existing_member_is_updated_and_keeps_what_the_file_leaves_empty(
    do_import: Run,
) -> None:
    await do_import("members", "members_vi_semicolon_bom.csv")
    done = await do_import("members", "members_en_comma.csv")
    # new names; Lan's opening balance was imported already and is not credited again
    assert done.lines[-1] == "members: 0 new, 2 updated, 0 unchanged"
    lan = await Member.get(phone="84912345678")
    assert lan.name == "Lan" and lan.points_balance == 1500
    minh = await Member.get(phone="84987654321")
    assert minh.name == "Minh" and minh.birthday == date(1985, 12, 1)  # empty: kept
    again = await do_import("members", "members_en_comma.csv")
    assert again.lines[-1] == "members: 0 new, 0 updated, 2 unchanged"


async def test_rows_with_the_same_phone_merge(do_import: Run) -> None:
    done = await do_import("members", "members_duplicate_phones.csv")
    assert done.lines[-1] == "members: 2 new, 0 updated, 0 unchanged"
    lan = await Member.get(phone="84912345678")
    assert lan.name == "Nguyễn Lan"  # the last non-empty name
    assert await tags_of(lan.id) == ["hà nội", "vip"]
    assert await Member.all().count() == 2


async def test_a_bad_row_stops_everything_and_names_row_column_and_fix(do_import: Run) -> None:
    done = await do_import("members", "members_bad_rows.csv")
    assert done.outcome.exit_code == 1
    assert done.outcome.bad_rows == 3
    problems = [str(p) for p in done.outcome.problems]
    assert problems[0].startswith("members_bad_rows.csv:3 phone: '12345' is not a Vietnamese")
    assert "— write it like 0912345678" in problems[0]
    assert problems[1].startswith("members_bad_rows.csv:4 birthday: '31/02/1990' is not a date")
    assert problems[2].startswith("members_bad_rows.csv:5 points: 'mười' is not a whole amount")
    assert "nothing was written" in done.lines[-1]
    assert await Member.all().count() == 0


async def test_skip_bad_writes_the_good_rows(do_import: Run) -> None:
    done = await do_import("members", "members_bad_rows.csv", skip_bad=True)
    assert done.outcome.exit_code == 0
    assert "members: 2 new, 0 updated, 0 unchanged" in done.lines
    assert done.lines[-1] == "3 bad row(s) skipped"
    assert sorted(await Member.all().values_list("phone", flat=True)) == [
        "84911222333",
        "84912345678",
    ]


async def test_dry_run_counts_exactly_and_writes_nothing(do_import: Run) -> None:
    done = await do_import("members", "members_vi_semicolon_bom.csv", dry_run=True)
    assert done.lines[-1] == "dry run, nothing written: members: 3 new, 0 updated, 0 unchanged"
    assert await Member.all().count() == 0
    assert await PointsEntry.all().count() == 0


async def test_a_missing_phone_column_is_one_line(do_import: Run) -> None:
    done = await do_import("members", "members_no_phone_column.csv")
    assert done.outcome.exit_code == 1
    assert done.lines == [
        "members_no_phone_column.csv:1 phone: column missing from the header row"
        " — add a column named phone (or số điện thoại, sđt)"
    ]


async def test_xlsx_with_numbers_and_dates_as_excel_stores_them(
    do_import: Run, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["SĐT", "Tên khách hàng", "Ngày sinh", "Điểm"])
    sheet.append([912345678, "Lan", datetime(1990, 3, 25), 1500])  # Excel dropped the 0
    sheet.append(["0987 654 321", "Minh", 31130, None])  # a date as an Excel serial
    path = tmp_path / "khach-hang.xlsx"
    book.save(path)
    done = await do_import("members", path)
    assert done.lines[-1] == "members: 2 new, 0 updated, 0 unchanged", done.text
    assert (await Member.get(phone="84912345678")).points_balance == 1500
    assert (await Member.get(phone="84987654321")).birthday == date(1985, 3, 24)


async def test_a_member_code_drawn_twice_is_drawn_again(
    do_import: Run, monkeypatch: object
) -> None:
    from loyalty.imports import members as module

    taken = await Member.create(member_code="AAAAAAAA", phone=None)
    draws = iter(["AAAAAAAA", "AAAAAAAA", "BBBBBBBB", "CCCCCCCC", "DDDDDDDD"])
    monkeypatch.setattr(module.MemberWriter, "_code", lambda self: next(draws))  # type: ignore[attr-defined]
    done = await do_import("members", "members_en_comma.csv")
    assert done.lines[-1] == "members: 2 new, 0 updated, 0 unchanged", done.text
    codes = set(await Member.exclude(id=taken.id).values_list("member_code", flat=True))
    assert len(codes) == 2 and "AAAAAAAA" not in codes
