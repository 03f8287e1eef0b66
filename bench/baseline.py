"""The cheapest honest webhook: read the body, check the signature, parse the JSON, answer.

No storage, no queue, no logging: what the same machine can do at best with aiohttp, so the
project's rate is reported as a fraction of it. It uses the same event loop (setting
`EVENT_LOOP`, uvloop by default) and the same JSON parser (orjson) as `serve`, so the ratio
compares the work, not the tools. Run as its own process, like `serve`:
`python -m bench.baseline --port N --secret S`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os

from aiohttp import web

from bot.fastjson import loads


def build_app(secret: str) -> web.Application:
    key = secret.encode()

    async def messenger(request: web.Request) -> web.Response:
        raw = await request.read()
        got = request.headers.get("X-Hub-Signature-256", "")
        want = "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want.encode(), got.encode()):
            return web.Response(status=403, text="bad signature")
        loads(raw)
        return web.Response(text="EVENT_RECEIVED")

    async def zalo(request: web.Request) -> web.Response:
        raw = await request.read()
        body = loads(raw)
        got = request.headers.get("X-ZEvent-Signature", "").removeprefix("mac=")
        digest = hashlib.sha256(
            str(body.get("app_id", "")).encode() + raw + str(body.get("timestamp", "")).encode()
        )
        digest.update(key)
        if not hmac.compare_digest(digest.hexdigest().encode(), got.encode()):
            return web.json_response({"ok": False}, status=401)
        return web.json_response({"ok": True})

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhooks/messenger", messenger)
    app.router.add_post("/webhooks/zalo", zalo)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    from bot.eventloop import install

    install(os.environ.get("EVENT_LOOP", "auto"))  # type: ignore[arg-type]
    web.run_app(
        build_app(args.secret), host="127.0.0.1", port=args.port, access_log=None, print=None
    )


if __name__ == "__main__":
    main()
