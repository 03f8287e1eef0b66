"""`python -m bot …`: serve, worker, db upgrade, config check, messenger sync-profile, loyalty,
import, segments."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
    web.run_app(
        app,
        host=settings.APP_HOST,
        port=settings.APP_PORT,
        shutdown_timeout=30,
        access_log=None,
        print=lambda msg: print(msg.splitlines()[0] if msg else msg, file=sys.stderr),
    )
    return 0


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
    asyncio.run(_run_worker(settings))
    return 0


async def _run_worker(settings: Settings) -> None:
    from bot.runtime import Runtime

    runtime = Runtime(settings)
    await runtime.start(consume=True)
    runtime.freeze_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runtime.close()


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
    from bot.runtime import Runtime

    runtime = Runtime(settings)
    await runtime.start(consume=False)
    try:
        channel = runtime.channels["zalo"]
        await channel.tokens.save_grant(access_token, refresh_token, expires_in)  # type: ignore[attr-defined]
    finally:
        await runtime.close()
    print(f"stored a new Zalo OA token pair for {channel.account_id}, valid {expires_in}s")
    return 0


def cmd_loyalty_tiers(args: argparse.Namespace) -> int:
    from loyalty.cli import run_tiers

    return asyncio.run(run_tiers(_settings(), dry_run=args.dry_run))


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
