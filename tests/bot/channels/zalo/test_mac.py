"""The webhook MAC: plain SHA-256 over id + exact body bytes + timestamp + key, every variant."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.channels.zalo.mac import MacVerifier, compute_mac
from bot.settings import Settings
from tests.fakes.zalo_api import mac as fake_mac

RAW = (
    '{"app_id":"3608465248940903967","event_name":"user_send_text",'
    '"timestamp":"1699003881354","message":{"msg_id":"cb31dff1c39642cc1b83",'
    '"text":"Chào shop, cho mình hỏi giá ạ"}}'
).encode()
TS = "1699003881354"


def test_known_vectors_with_vietnamese_body_and_key() -> None:
    assert (
        compute_mac("3608465248940903967", RAW, TS, "oa-secret-ké")
        == "b295745c573f540ac6df16f84d9978f0a5518008f3c4a7ca0015692ee7f0ab18"
    )
    assert (
        compute_mac("1234567890", RAW, TS, "app-secret")
        == "0595d77271ec56e41ed8946df6c724251b4e021b48ea107cfa9286c3cf5d49cc"
    )
    # The fake signs with its own implementation: both must agree.
    assert compute_mac("a", RAW, TS, "k") == fake_mac(RAW, TS, "a", "k")


def _verifier(make_settings: Callable[..., Settings], **overrides: object) -> MacVerifier:
    values: dict[str, object] = {
        "ZALO_APP_ID": "3608465248940903967",
        "ZALO_APP_SECRET": "app-secret",
        "ZALO_OA_ID": "1234567890",
        "ZALO_OA_SECRET_KEY": "oa-secret-ké",
        "ZALO_OA_ACCESS_TOKEN": "t",
    }
    values.update(overrides)
    return MacVerifier.from_settings(make_settings(**values))


@pytest.mark.parametrize(
    ("mac_id", "mac_key", "first", "key"),
    [
        ("app_id", "oa_secret_key", "3608465248940903967", "oa-secret-ké"),
        ("oa_id", "oa_secret_key", "1234567890", "oa-secret-ké"),
        ("app_id", "app_secret", "3608465248940903967", "app-secret"),
        ("oa_id", "app_secret", "1234567890", "app-secret"),
    ],
)
def test_each_configured_variant_accepts_only_its_own_mac(
    make_settings: Callable[..., Settings], mac_id: str, mac_key: str, first: str, key: str
) -> None:
    verifier = _verifier(make_settings, ZALO_WEBHOOK_MAC_ID=mac_id, ZALO_WEBHOOK_MAC_KEY=mac_key)
    ids = {"timestamp": TS, "app_id": "3608465248940903967", "oa_id": "1234567890"}
    good = "mac=" + compute_mac(first, RAW, TS, key)
    assert verifier.verify(good, RAW, **ids)
    assert verifier.verify(good.upper().replace("MAC=", "mac="), RAW, **ids)  # hex case
    assert mac_id in verifier.describe() and key not in verifier.describe()
    other_key = "app-secret" if key != "app-secret" else "oa-secret-ké"
    assert not verifier.verify("mac=" + compute_mac(first, RAW, TS, other_key), RAW, **ids)


def test_tampering_and_missing_values_fail(make_settings: Callable[..., Settings]) -> None:
    verifier = _verifier(make_settings)
    ids = {"timestamp": TS, "app_id": "x", "oa_id": "y"}
    good = "mac=" + compute_mac("3608465248940903967", RAW, TS, "oa-secret-ké")
    assert verifier.verify(good, RAW, **ids)
    assert not verifier.verify(good, RAW.replace("giá".encode(), b"gia"), **ids)
    assert not verifier.verify(good, RAW, timestamp="1699003881355", app_id="x", oa_id="y")
    assert not verifier.verify(None, RAW, **ids)
    assert not verifier.verify("", RAW, **ids)
    assert not verifier.verify("mac=", RAW, **ids)
    assert not verifier.verify("mac=zz" + good[6:], RAW, **ids)
    # Re-serializing the JSON (e.g. \u escapes) changes the bytes and must not verify.
    escaped = RAW.decode().encode("ascii", "backslashreplace")
    assert not verifier.verify(good, escaped, **ids)


def test_without_configured_app_id_the_body_app_id_is_used(
    make_settings: Callable[..., Settings],
) -> None:
    verifier = _verifier(make_settings, ZALO_APP_ID="")
    good = "mac=" + compute_mac("3608465248940903967", RAW, TS, "oa-secret-ké")
    assert verifier.verify(good, RAW, timestamp=TS, app_id="3608465248940903967", oa_id="")
    assert not verifier.verify(good, RAW, timestamp=TS, app_id="999", oa_id="")


def test_sandbox_signs_with_the_sandbox_secret_and_body_app_id(
    make_settings: Callable[..., Settings],
) -> None:
    verifier = MacVerifier.from_settings(make_settings(SANDBOX_SECRET="s3cret"))
    assert verifier.sandbox and "SANDBOX_SECRET" in verifier.describe()
    good = "mac=" + compute_mac("sandbox-app", RAW, TS, "s3cret")
    assert verifier.verify(good, RAW, timestamp=TS, app_id="sandbox-app", oa_id="")


def test_no_key_refuses_everything(make_settings: Callable[..., Settings]) -> None:
    """Sandbox switched off and no OA secret: nothing can be verified, so nothing passes."""
    verifier = MacVerifier.from_settings(make_settings(SANDBOX_ENABLED=False))
    assert not verifier.verify(
        "mac=" + compute_mac("a", RAW, TS, ""), RAW, timestamp=TS, app_id="a", oa_id=""
    )
    assert "refused" in verifier.describe()
