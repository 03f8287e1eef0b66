from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from loyalty.errors import QrTokenExpired, QrTokenInvalid
from loyalty.qr import make_qr_token, read_qr_token, resolve_qr_token

SECRET = "test-session-secret"
NOW = datetime(2025, 3, 1, 5, 0, tzinfo=UTC)


def test_round_trip() -> None:
    token, expires_at = make_qr_token("ABCD2345", SECRET, ttl=60, now=NOW)
    assert expires_at == NOW + timedelta(seconds=60)
    assert resolve_qr_token(token, SECRET, now=NOW + timedelta(seconds=59)) == "ABCD2345"


def test_each_token_has_its_own_jti() -> None:
    a, _ = make_qr_token("ABCD2345", SECRET, now=NOW)
    b, _ = make_qr_token("ABCD2345", SECRET, now=NOW)
    assert read_qr_token(a, SECRET, NOW).jti != read_qr_token(b, SECRET, NOW).jti


def test_expired() -> None:
    token, _ = make_qr_token("ABCD2345", SECRET, ttl=60, now=NOW)
    with pytest.raises(QrTokenExpired) as info:
        resolve_qr_token(token, SECRET, now=NOW + timedelta(seconds=60))
    assert info.value.code == "qr_token_expired"


def test_wrong_secret_is_forged() -> None:
    token, _ = make_qr_token("ABCD2345", "another-secret", now=NOW)
    with pytest.raises(QrTokenInvalid):
        resolve_qr_token(token, SECRET, now=NOW)


def test_tampered_payload_is_forged() -> None:
    token, _ = make_qr_token("ABCD2345", SECRET, now=NOW)
    header, _payload, sig = token.split(".")
    other, _ = make_qr_token("ZZZZ2345", SECRET, now=NOW)
    forged = ".".join([header, other.split(".")[1], sig])
    with pytest.raises(QrTokenInvalid):
        resolve_qr_token(forged, SECRET, now=NOW)
    with pytest.raises(QrTokenInvalid):
        resolve_qr_token("not-a-token", SECRET, now=NOW)


def test_a_session_token_with_the_same_secret_is_not_a_qr_token() -> None:
    secret = "a-long-session-secret-of-at-least-32-bytes"
    claims = {"sub": "ABCD2345", "exp": int((NOW + timedelta(hours=1)).timestamp()), "jti": "x"}
    for extra in ({}, {"aud": "member-qr"}):
        session = jwt.encode({**claims, **extra}, secret, algorithm="HS256")
        with pytest.raises(QrTokenInvalid):
            resolve_qr_token(session, secret, now=NOW)
