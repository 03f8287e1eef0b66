"""Journeys end to end: triggers enter members, steps run once each through the delivery
policy to the fake platforms, exits, re-entry, holdout, edits, interrupted workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.journeys.enrol import enrol
from bot.journeys.models import JourneyEnrolment, JourneyStepRun
from bot.journeys.spec import compile_plan, in_holdout
from bot.models import Contact, OutboxMessage
from loyalty import rawsql
from loyalty.imports.run import run_import
from loyalty.models import Member, PointsEntry, Voucher
from tests.bot.handlers.conftest import Bot, zalo_text
from tests.bot.journeys.conftest import (
    HEADERS,
    Clock,
    chatted,
    engine,
    journeys_from,
    messenger_member,
)
from tests.bot.outreach.conftest import quiet_around


def _zalo_texts(bot: Bot, user: str) -> list[str]:
    return [zalo_text(m) for m in bot.zalo.sent_to(user)]


async def _follower(bot: Bot, user: str, name: str) -> Member:
    """A Zalo follower who then opts in to promotions with the chat word."""
    bot.zalo.add_user(user, name)
    await bot.zalo_event(user, bot.zalo.events.follow(user))
    await bot.zalo_says(user, "Nhận tin")
    contact = await Contact.get(user_id=user)
    assert contact.member_id is not None
    return await Member.get(id=contact.member_id)


async def test_a_follow_runs_the_welcome_series_to_its_end(app: Bot) -> None:
    clock = Clock(datetime.now(UTC))
    journeys, _ = engine(app, clock)
    await journeys.tick()  # the first scan starts at the newest rows: history enters nobody
    member = await _follower(app, "z1", "Lan")
    before = len(_zalo_texts(app, "z1"))

    clock.now = datetime.now(UTC)
    await journeys.tick()
    await app.settled()
    sent = _zalo_texts(app, "z1")[before:]
    assert len(sent) == 1 and sent[0].startswith("Chào Lan!"), sent
    (voucher,) = await Voucher.filter(member_id=member.id)
    assert voucher.code in sent[0] and voucher.value == 20000

    for days in (3, 10):  # day 3, then day 10 (no order: the offer branch)
        clock.now += timedelta(days=days - (3 if days == 10 else 0))
        await chatted(clock.now)  # the customer wrote: the free window is open
        await journeys.tick()
        await app.settled()
    sent = _zalo_texts(app, "z1")[before:]
    assert len(sent) == 3, sent
    assert "cà phê muối" in sent[1]
    assert "sắp hết hạn" in sent[2]
    assert await Voucher.filter(member_id=member.id).count() == 2
    enrolment = await JourneyEnrolment.get(journey_id="welcome", member_id=member.id)
    assert enrolment.state == "completed"

    clock.now += timedelta(days=30)
    await journeys.tick()  # nothing more, ever (reentry: once)
    await app.settled()
    assert len(_zalo_texts(app, "z1")[before:]) == 3

    r = await app.client.get("/api/v1/admin/journeys/welcome", headers=HEADERS)
    assert r.status == 200, await r.text()
    body = await r.json()
    assert (body["enrolled"], body["active"], body["completed"], body["exited"]) == (1, 0, 1, 0)
    assert body["holdout"] == {"members": 0, "converted": 0, "revenue": 0}
    by_id = {s["id"]: s for s in body["steps"]}
    assert [s["index"] for s in body["steps"]] == list(range(len(body["steps"])))
    assert by_id["hello"]["sent"] == by_id["day-3"]["sent"] == by_id["day-10-offer"]["sent"] == 1
    assert by_id["wait-3d"]["reached"] == 1 and by_id["wait-3d"]["sent"] == 0


async def test_an_order_exits_the_welcome_series_and_counts_as_a_conversion(app: Bot) -> None:
    clock = Clock(datetime.now(UTC))
    journeys, _ = engine(app, clock)
    await journeys.tick()
    member = await _follower(app, "z2", "Minh")
    before = len(_zalo_texts(app, "z2"))
    clock.now = datetime.now(UTC)
    await journeys.tick()
    r = await app.client.post(
        "/api/v1/admin/orders",
        json={"order_id": "o-exit", "amount": 120_000, "member_code": member.member_code},
        headers=HEADERS,
    )
    assert r.status == 201, await r.text()
    await journeys.tick()  # the order scan exits the member at once
    enrolment = await JourneyEnrolment.get(journey_id="welcome", member_id=member.id)
    assert (enrolment.state, enrolment.exit_reason) == ("exited", "order")

    clock.now += timedelta(days=3)
    await chatted(clock.now)
    await journeys.tick()
    await app.settled()
    journey_texts = [t for t in _zalo_texts(app, "z2")[before:] if "cà phê muối" in t]
    assert journey_texts == []
    r = await app.client.get("/api/v1/admin/journeys/welcome", headers=HEADERS)
    body = await r.json()
    assert (body["exited"], body["converted"], body["revenue"]) == (1, 1, 120_000)


async def test_imported_orders_enter_the_right_win_back_journey_once(
    app: Bot, tmp_path: Path
) -> None:
    clock = Clock(datetime.now(UTC))
    journeys, _ = engine(app, clock)
    await journeys.tick()
    people = {}
    for days in (7, 14, 28, 40):
        people[days] = await messenger_member(app, f"p{days}", name=f"Khách {days}")
    csv = tmp_path / "orders.csv"
    lines = ["order_id,member_code,amount,paid_at"]
    for days, member in people.items():
        paid = (clock.now - timedelta(days=days)).astimezone(UTC)
        lines.append(f"imp-{days},{member.member_code},80000,{paid.isoformat()}")
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    content = app.runtime.content.current
    outcome = await run_import(
        "orders", csv, config=content.loyalty, spec=content.segment_spec(), progress=None
    )
    assert outcome.exit_code == 0

    for _ in range(3):  # the same day, tick after tick: once
        await journeys.tick()
        clock.now += timedelta(minutes=10)
    await app.settled()
    rows = await JourneyEnrolment.all().values_list("journey_id", "member_id")
    assert sorted(rows) == sorted(
        [
            ("win-back-7d", people[7].id),
            ("win-back-14d", people[14].id),
            ("win-back-28d", people[28].id),
        ]
    )
    assert any("Lâu rồi không gặp" in t for t in app.fb.texts("p7"))
    assert any("nhớ Khách 14" in t for t in app.fb.texts("p14"))
    assert app.fb.texts("p40") == []  # an `order` event is not history: nobody else entered

    clock.now += timedelta(days=1)  # 8, 15, 29 days: no journey's day
    await journeys.tick()
    assert await JourneyEnrolment.all().count() == 3


def test_holdout_is_deterministic_and_near_its_share() -> None:
    first = [in_holdout("win-back-7d", m, 10) for m in range(1, 2001)]
    again = [in_holdout("win-back-7d", m, 10) for m in range(1, 2001)]
    assert first == again
    assert 0.08 <= sum(first) / 2000 <= 0.12
    other = [in_holdout("win-back-14d", m, 10) for m in range(1, 2001)]
    assert other != first  # a member's side depends on the journey too
    assert not any(in_holdout("x", m, 0) for m in range(1, 200))


async def test_holdout_rows_follow_the_draw_and_get_nothing(app: Bot) -> None:
    clock = Clock(datetime.now(UTC))
    journeys, _ = engine(app, clock)
    await Member.bulk_create(
        [
            Member(member_code=f"H{i:06d}", name=f"m{i}", marketing_opt_in=True)
            for i in range(2000)
        ],
        batch_size=500,
    )
    ids = sorted(await Member.all().values_list("id", flat=True))
    plan = journeys.plans()["win-back-7d"]
    assert await enrol(plan, dict.fromkeys(ids), clock.now) == 2000
    held = set(
        await JourneyEnrolment.filter(journey_id=plan.id, state="holdout").values_list(
            "member_id", flat=True
        )
    )
    assert held == {m for m in ids if in_holdout(plan.id, m, 10)}
    assert 160 <= len(held) <= 240
    await journeys.tick()
    ran = set(await JourneyStepRun.all().values_list("member_id", flat=True))
    assert ran and not ran & held
    assert await enrol(plan, dict.fromkeys(ids), clock.now) == 0  # entered once


async def test_duplicate_triggers_enrol_once(app: Bot) -> None:
    clock = Clock(datetime.now(UTC))
    journeys, _ = engine(app, clock)
    await journeys.tick()
    member = await _follower(app, "z3", "An")
    await app.zalo_event("z3", app.zalo.events.unfollow("z3"))
    await app.zalo_event("z3", app.zalo.events.follow("z3"))  # a second follow
    plan = journeys.plans()["welcome"]
    clock.now = datetime.now(UTC)
    results = await asyncio.gather(
        journeys.tick(),
        enrol(plan, {member.id: "x"}, clock.now),
        enrol(plan, {member.id: "y"}, clock.now),
    )
    assert results
    await journeys.tick()
    assert await JourneyEnrolment.filter(journey_id="welcome", member_id=member.id).count() == 1
    await app.settled()
    assert sum("cho ly đầu tiên" in t for t in _zalo_texts(app, "z3")) == 1
    assert await JourneyStepRun.filter(member_id=member.id, step_id="hello").count() == 1


SERIES = """
- id: series
  name: "Chuỗi thử"
  trigger: {event: phone_shared}
  steps:
    - id: a
      send: {text: "Tin A cho {name}", purpose: update}
    - id: bonus
      points: {add: 7, reason: "Quà chuỗi"}
    - id: w1
      wait: 1d
    - id: b
      send: {text: "Tin B", purpose: update}
    - id: w2
      wait: 1d
    - id: c
      send: {text: "Tin C", purpose: update}
"""


class Died(Exception):
    pass


@pytest.mark.parametrize("where", ["effects", "between"])
async def test_a_worker_killed_mid_step_runs_it_once(app: Bot, where: str) -> None:
    """Killed after the send was queued but before it was recorded ("effects"), or between
    the send and the points step ("between"): the next worker finishes the job, nothing is
    sent or credited twice."""
    clock = Clock(datetime.now(UTC))

    async def die(at: str, enrolment: JourneyEnrolment, step_id: str) -> None:
        if at == where and step_id == "a":
            raise Died(step_id)

    series = journeys_from(SERIES)
    dying, _ = engine(app, clock, journeys=series, worker="dying", checkpoint=die)
    member = await messenger_member(app, "p1", name="Lan", opted_in=False)
    plan = compile_plan(series[0])
    await enrol(plan, {member.id: "test"}, clock.now)
    with pytest.raises(Died):
        await dying.tick()
    healthy, _ = engine(app, clock, journeys=series, worker="healthy")
    await healthy.tick()  # within the lease: the dead worker's claim still holds
    assert await JourneyStepRun.filter(step_id="bonus").count() == 0
    clock.now += timedelta(minutes=5)  # the lease ran out
    await healthy.tick()
    await app.settled()
    assert app.fb.texts("p1").count("Tin A cho Lan") == 1
    assert await OutboxMessage.filter(dedupe_key__startswith="journey:").count() == 1
    assert await JourneyStepRun.filter(step_id="a").count() == 1
    assert await PointsEntry.filter(member_id=member.id, amount=7).count() == 1
    enrolment = await JourneyEnrolment.get(member_id=member.id)
    assert enrolment.step_id == "b"


async def test_an_edit_continues_members_by_step_id(app: Bot) -> None:
    clock = Clock(datetime.now(UTC))
    series = journeys_from(SERIES)
    journeys, holder = engine(app, clock, journeys=series)
    plan = compile_plan(series[0])
    early = await messenger_member(app, "p1", name="Sớm", opted_in=False)
    late = await messenger_member(app, "p2", name="Muộn", opted_in=False)
    await enrol(plan, {early.id: "t"}, clock.now)
    await journeys.tick()  # early: A, bonus, then waits 1 day before b
    clock.now += timedelta(days=1)
    await chatted(clock.now)
    await enrol(plan, {late.id: "t"}, clock.now)
    await journeys.tick()  # early: B, waits before c; late: A, bonus, waits before b
    await app.settled()

    edited = SERIES.replace(
        '    - id: b\n      send: {text: "Tin B", purpose: update}\n', ""
    ).replace("Tin C", "Tin C mới")
    holder.content = holder.content.model_copy(update={"journeys": journeys_from(edited)})
    clock.now += timedelta(days=1)
    await chatted(clock.now)
    await journeys.tick()
    await app.settled()
    assert app.fb.texts("p1")[-1] == "Tin C mới"  # continued at c, on the new version
    assert "Tin B" not in app.fb.texts("p2")  # b is gone: the member went to the end
    assert not any(t.startswith("Tin C") for t in app.fb.texts("p2"))
    states = dict(await JourneyEnrolment.all().values_list("member_id", "state"))
    assert states == {early.id: "completed", late.id: "completed"}


async def test_a_promotion_in_quiet_hours_waits_until_they_end(app: Bot) -> None:
    clock = Clock(datetime.now(UTC))
    quiet = quiet_around(clock.now, inside=True)
    journeys, _ = engine(app, clock, quiet_hours=quiet)
    member = await messenger_member(app, "p1", name="Lan")
    plan = journeys.plans()["win-back-7d"]
    held_out = in_holdout(plan.id, member.id, plan.journey.holdout_percent)
    if held_out:
        pytest.skip("this member id falls in the control group")
    await enrol(plan, {member.id: "t"}, clock.now)
    await journeys.tick()
    await app.settled()
    assert app.fb.texts("p1") == []
    enrolment = await JourneyEnrolment.get(member_id=member.id)
    assert enrolment.state == "active" and enrolment.step_id == "offer"
    assert enrolment.due_at is not None and enrolment.due_at > clock.now
    assert await JourneyStepRun.all().count() == 0  # held, not skipped
    clock.now = enrolment.due_at + timedelta(seconds=1)
    await chatted(clock.now)
    await journeys.tick()
    await app.settled()
    assert len(app.fb.texts("p1")) == 1


async def test_the_weekly_cap_counts_journey_promotions(app: Bot) -> None:
    clock = Clock(datetime.now(UTC))
    journeys, _ = engine(app, clock, max_promotions_per_week=1)
    member = await messenger_member(app, "p1", name="Lan")
    for jid in ("win-back-7d", "win-back-14d"):
        plan = journeys.plans()[jid]
        await JourneyEnrolment.create(
            journey_id=jid,
            member_id=member.id,
            state="active",
            step_id=plan.first,
            due_at=clock.now,
            entered_at=clock.now,
            convert_until=clock.now + timedelta(days=7),
        )
    await journeys.tick()
    statuses = sorted(await JourneyStepRun.filter(kind="send").values_list("status", "reason"))
    assert statuses == [("sent", None), ("skipped", "weekly_cap")]


async def test_concurrent_ticks_run_each_step_once(app: Bot) -> None:
    if not rawsql.is_postgres():
        pytest.skip("needs PostgreSQL's row locks (SQLite has one writer)")
    clock = Clock(datetime.now(UTC))
    series = journeys_from(SERIES)
    plan = compile_plan(series[0])
    ids = [
        (await messenger_member(app, f"c{i}", name=f"K{i}", opted_in=False)).id for i in range(120)
    ]
    await enrol(plan, dict.fromkeys(ids), clock.now)
    workers = [engine(app, clock, journeys=series, worker=f"w{i}", batch=10)[0] for i in range(3)]
    await asyncio.gather(*(w.tick() for w in workers))
    assert await JourneyStepRun.filter(step_id="a").count() == 120
    assert await JourneyStepRun.filter(step_id="bonus").count() == 120
    assert await OutboxMessage.filter(dedupe_key__startswith="journey:").count() == 120
    assert await PointsEntry.filter(amount=7).count() == 120
    done = [w.last.enrolments for w in workers]
    assert sum(done) == 120, done
