"""`python -m bot …`: serve, worker, db upgrade, config check, messenger sync-profile, loyalty,
promotions, import, segments."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.app import build_app
    from bot.eventloop import install
    from bot.logs import setup_logging
    from bot.runtime import Runtime

    settings = _settings()
    setup_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    install(settings.EVENT_LOOP)
    app = build_app(settings)

    async def freeze(app: web.Application) -> None:  # after the runtime started
        Runtime.freeze_heap()

    app.on_startup.append(freeze)
    try:
        web.run_app(
            app,
            host=settings.APP_HOST,
            port=settings.APP_PORT,
            shutdown_timeout=settings.SHUTDOWN_TIMEOUT_SECONDS,
            access_log=None,
            print=lambda msg: print(msg.splitlines()[0] if msg else msg, file=sys.stderr),
        )
    finally:
        _exit_now(0)
    return 0


def _exit_now(code: int) -> None:
    """Exit once the graceful part is over, without waiting for threads a library left
    running (an aiosqlite thread stopped mid-start-up kept the interpreter alive for ever)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_worker(args: argparse.Namespace) -> int:
    from bot.eventloop import install
    from bot.logs import setup_logging

    settings = _settings()
    setup_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    if not settings.REDIS_URL:
        print(
            "error: setting REDIS_URL is empty: the worker shares its queue through Redis; "
            "without Redis, `serve` runs the jobs in-process",
            file=sys.stderr,
        )
        return 2
    if settings.WORKER_NICE and hasattr(os, "nice"):
        os.nice(settings.WORKER_NICE)  # acks in `serve` first when both share the CPU
    install(settings.EVENT_LOOP)
    code = 0
    try:
        asyncio.run(_run_worker(settings))
    except Exception:
        logging.getLogger("bot.cli").exception("worker failed")
        code = 1
    _exit_now(code)
    return code


async def _run_worker(settings: Settings) -> None:
    """Start, run until SIGTERM/SIGINT (also during start-up), then close within
    `SHUTDOWN_TIMEOUT_SECONDS`."""
    from bot.runtime import Runtime

    log = logging.getLogger("bot.cli")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime = Runtime(settings, role="worker")
    starting = asyncio.create_task(runtime.start())
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if starting.done() and not stop.is_set():
        starting.result()  # a failed start raises here
        runtime.freeze_heap()
        await stopped
    else:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
    stopped.cancel()
    try:
        async with asyncio.timeout(settings.SHUTDOWN_TIMEOUT_SECONDS):
            await runtime.close()
    except TimeoutError:
        log.warning(
            "worker: shutdown took over %.0f s; exiting", settings.SHUTDOWN_TIMEOUT_SECONDS
        )


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.db import upgrade

    settings = _settings()
    asyncio.run(upgrade(settings.DATABASE_URL))
    print(f"database up to date: {_redact(settings.DATABASE_URL)}")
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    from bot.content.check import run_check

    default = Path("config/content.yaml")
    if args.path is None:
        with contextlib.suppress(SettingsError):
            default = load_settings().CONTENT_PATH
    return run_check(args.path, default)


def cmd_messenger_sync(args: argparse.Namespace) -> int:
    from bot.channels.messenger.profile_sync import run_sync_profile

    return asyncio.run(run_sync_profile(_settings()))


def cmd_zalo_set_token(args: argparse.Namespace) -> int:
    return asyncio.run(
        zalo_set_token(_settings(), args.access_token, args.refresh_token, args.expires_in)
    )


async def zalo_set_token(
    settings: Settings, access_token: str, refresh_token: str, expires_in: int
) -> int:
    """A human re-grant: store a fresh OA token pair (it wins over the stored one)."""
    from bot.channels.zalo.channel import ZaloChannel
    from bot.runtime import Runtime

    runtime = Runtime(settings, role="tool")
    await runtime.start()
    try:
        channel = runtime.channels["zalo"]
        assert isinstance(channel, ZaloChannel)
        await channel.tokens.save_grant(access_token, refresh_token, expires_in)
    finally:
        await runtime.close()
    print(f"stored a new Zalo OA token pair for {channel.account_id}, valid {expires_in}s")
    return 0


def cmd_loyalty_tiers(args: argparse.Namespace) -> int:
    return asyncio.run(run_tiers(_settings(), dry_run=args.dry_run))


async def run_tiers(settings: Settings, *, dry_run: bool) -> int:
    """Apply (or preview) the content file's tier policy and print the changes."""
    from bot.content.errors import ContentError
    from bot.content.loader import load_content
    from bot.db import close_db, init_db
    from loyalty.tiers import reevaluate

    try:
        config = load_content(settings.CONTENT_PATH).loyalty
    except ContentError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    await init_db(settings.DATABASE_URL)
    try:
        changes = await reevaluate(config, dry_run=dry_run)
    finally:
        await close_db()
    prefix = "would change" if dry_run else "changed"
    for change in changes:
        print(f"{prefix} {change}")
    print(f"{len(changes)} tier change(s), policy {config.tier_policy.mode}")
    return 0


def cmd_inbox_retry(args: argparse.Namespace) -> int:
    return asyncio.run(inbox_retry(_settings(), failed_only=not args.all))


async def inbox_retry(settings: Settings, *, failed_only: bool) -> int:
    """Failed webhook events (and with `--all` those waiting for their next try) get a
    fresh set of attempts, due now; a running worker (or `serve`) picks them up."""
    from bot.db import close_db, init_db
    from bot.pipeline.inbox import retry_failed

    await init_db(settings.DATABASE_URL)
    try:
        count = await retry_failed(failed_only=failed_only)
    finally:
        await close_db()
    print(f"inbox: {count} event(s) queued again")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from bot.data_cli import run_import_command

    return asyncio.run(
        run_import_command(
            _settings(),
            args.kind,
            args.file,
            skip_bad=args.skip_bad,
            dry_run=args.dry_run,
            award_points=getattr(args, "award_points", False),
            refresh=not args.no_refresh,
        )
    )


def cmd_segments_refresh(args: argparse.Namespace) -> int:
    from bot.data_cli import run_segments_refresh

    return asyncio.run(run_segments_refresh(_settings()))


def cmd_admin_add_user(args: argparse.Namespace) -> int:
    """The password comes from stdin; an interactive empty answer generates one, shown once."""
    import getpass

    from bot.console.accounts import generate_password

    generated = False
    if sys.stdin.isatty():
        password = getpass.getpass("Password (empty = generate one): ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        if not sys.stdin.isatty():
            print(
                "error: no password on stdin (pipe one in, or run in a terminal)", file=sys.stderr
            )
            return 2
        password, generated = generate_password(), True
    code = asyncio.run(admin_add_user(_settings(), args.email, args.role, password))
    if code == 0 and generated:
        print(f"password (shown once): {password}")
    return code


async def admin_add_user(settings: Settings, email: str, role: str, password: str) -> int:
    """Create or update a console user (role, password; reactivated)."""
    from bot.console.accounts import AccountError, add_user
    from bot.db import close_db, init_db

    await init_db(settings.DATABASE_URL)
    try:
        user, created = await add_user(email, role, password)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        await close_db()
    print(f"{'created' if created else 'updated'} console user {user.email} ({user.role})")
    return 0


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Zalo OA + Messenger loyalty bot."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "serve", help="run the web server (webhooks, Mini App API, sandbox)"
    ).set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run the background worker (needs REDIS_URL)").set_defaults(
        func=cmd_worker
    )
    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    config = sub.add_parser("config", help="content file commands").add_subparsers(
        dest="config", required=True
    )
    check = config.add_parser("check", help="validate the content file")
    check.add_argument("path", nargs="?", type=Path, default=None)
    check.set_defaults(func=cmd_config_check)
    messenger = sub.add_parser("messenger", help="Messenger commands").add_subparsers(
        dest="messenger", required=True
    )
    messenger.add_parser(
        "sync-profile", help="push greeting, Get Started and persistent menu to the Page"
    ).set_defaults(func=cmd_messenger_sync)
    zalo = sub.add_parser("zalo", help="Zalo OA commands").add_subparsers(
        dest="zalo", required=True
    )
    grant = zalo.add_parser(
        "set-token", help="store an OA access/refresh token pair after a human re-grant"
    )
    grant.add_argument("--access-token", required=True)
    grant.add_argument("--refresh-token", required=True)
    grant.add_argument("--expires-in", type=int, default=90000, help="seconds (default 90000)")
    grant.set_defaults(func=cmd_zalo_set_token)
    loyalty = sub.add_parser("loyalty", help="loyalty commands").add_subparsers(
        dest="loyalty", required=True
    )
    tiers = loyalty.add_parser("tiers", help="re-evaluate member tiers by the tier policy")
    tiers.add_argument("--dry-run", action="store_true", help="show who would change")
    tiers.set_defaults(func=cmd_loyalty_tiers)
    inbox = sub.add_parser("inbox", help="webhook inbox commands").add_subparsers(
        dest="inbox", required=True
    )
    retry = inbox.add_parser("retry", help="try failed webhook events again")
    retry.add_argument("--failed", action="store_true", help="failed events only (default)")
    retry.add_argument("--all", action="store_true", help="also events waiting for their next try")
    retry.set_defaults(func=cmd_inbox_retry)
    _add_promotions(sub)
    _add_journeys(sub)
    imports = sub.add_parser("import", help="import the shop's members or orders (CSV, XLSX)")
    kinds = imports.add_subparsers(dest="kind", required=True)
    for kind, what in (("members", "members by phone"), ("orders", "order history")):
        one = kinds.add_parser(kind, help=f"import {what} from a CSV or XLSX file")
        one.add_argument("file", type=Path)
        one.add_argument("--skip-bad", action="store_true", help="write the good rows anyway")
        one.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        one.add_argument(
            "--no-refresh", action="store_true", help="leave the segment refresh to the schedule"
        )
        if kind == "orders":
            one.add_argument(
                "--award-points", action="store_true", help="new orders earn points and tiers"
            )
        one.set_defaults(func=cmd_import)
    segments = sub.add_parser("segments", help="RFM scores and segments").add_subparsers(
        dest="segments", required=True
    )
    segments.add_parser("refresh", help="recompute RFM scores and every segment now").set_defaults(
        func=cmd_segments_refresh
    )
    admin = sub.add_parser("admin", help="web console commands").add_subparsers(
        dest="admin", required=True
    )
    add_user = admin.add_parser(
        "add-user", help="create or update a console user (password from stdin)"
    )
    add_user.add_argument("email")
    add_user.add_argument("--role", required=True, choices=["owner", "manager", "staff"])
    add_user.set_defaults(func=cmd_admin_add_user)
    return parser


def _add_promotions(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`promotions verify GAME_ID`, `promotions seal` (issue 23; bot/cli_promotions.py)."""
    from bot.cli_promotions import add_promotions_commands

    add_promotions_commands(sub, _settings)


def _add_journeys(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`journeys preview ID` (issue 21; bot/journeys/cli.py)."""
    from bot.journeys.cli import add_journeys_commands

    add_journeys_commands(sub, _settings)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ImportError as exc:
        # A missing or broken dependency (a native wheel that does not load, a package not
        # installed): one line, and nothing starts without the part it would have served.
        name = exc.name or "a module"
        print(
            f"error: {name} cannot be imported ({exc}): run `make install` "
            "(the dependencies are pinned in requirements.lock)",
            file=sys.stderr,
        )
        return 2
