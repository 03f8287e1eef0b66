"""Security headers on every response: a Content-Security-Policy without inline script,
`frame-ancestors 'none'`, `X-Content-Type-Options: nosniff` and `Referrer-Policy`.

HTML pages (sandbox, console, public promotion pages, API docs) get `PAGE_POLICY`: scripts
and styles only from this server's own files, never inline; images also from `data:`,
`blob:` and any `https:` host (content images may live on a CDN, and an image cannot run
code) plus `PUBLIC_BASE_URL`'s origin (the sandbox shows images by their absolute links).
Everything else (JSON, images, event streams) gets `OTHER_POLICY`, which allows nothing:
such a response rendered as a document by mistake can load and run nothing.

A page that needs one inline block (the self-contained `/api/docs`) sets its own policy
with that block's hash (`html_policy(script_hashes=...)`, see `inline_hashes`); a policy the
handler set is kept. CORS headers are untouched (the Mini App API keeps its origin list).

The headers are added in `on_response_prepare`, not a middleware: the sandbox's event
stream sends its headers from inside the handler, before a middleware would see it.
`setup_security_headers(app)` installs it once (calling it again does nothing).
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from aiohttp import web

from bot.appkeys import SETTINGS

INSTALLED = web.AppKey("security_headers_installed", bool)
REFERRER_POLICY = "same-origin"  # same-origin requests keep it (and their Origin header)
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_INLINE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1>", re.S | re.I)


def html_policy(
    *,
    extra_img: str = "",
    script_hashes: tuple[str, ...] = (),
    style_hashes: tuple[str, ...] = (),
) -> str:
    """The page policy; `*_hashes` allow exactly those inline blocks (`'sha256-…'`)."""
    scripts = " ".join(["'self'", *script_hashes])
    styles = " ".join(["'self'", *style_hashes])
    img = " ".join(part for part in ("'self' data: blob: https:", extra_img) if part)
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src {img}; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def inline_hashes(html: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """CSP hashes of a page's inline `<script>` and `<style>` blocks (JSON data blocks
    are data, never run, and need none)."""
    scripts: list[str] = []
    styles: list[str] = []
    for tag, attrs, body in _INLINE.findall(html):
        if tag.lower() == "script" and ("src=" in attrs or "application/json" in attrs):
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        (scripts if tag.lower() == "script" else styles).append(f"'sha256-{digest}'")
    return tuple(scripts), tuple(styles)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The `on_response_prepare` hook."""
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        if response.content_type == "text/html":
            settings = request.app.get(SETTINGS)
            extra = _origin(settings.PUBLIC_BASE_URL) if settings is not None else ""
            headers["Content-Security-Policy"] = html_policy(extra_img=extra)
        else:
            headers["Content-Security-Policy"] = OTHER_POLICY
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")


def setup_security_headers(app: web.Application) -> None:
    """Add the headers to every response of `app` (idempotent)."""
    if app.get(INSTALLED):
        return
    app[INSTALLED] = True
    app.on_response_prepare.append(add_security_headers)
