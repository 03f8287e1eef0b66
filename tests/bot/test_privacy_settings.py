"""Privacy settings: role-scoped admin keys, the retention window, and secrets never echoed."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


def test_role_keys_parse_and_bad_ones_name_the_setting_but_not_the_key() -> None:
    settings = load_settings(
        _env_file=None, ADMIN_API_KEYS="staff:till-key-0123456789, manager:mgr-key-0123456789"
    )
    assert settings.ADMIN_API_KEYS == [
        ("staff", "till-key-0123456789"),
        ("manager", "mgr-key-0123456789"),
    ]
    assert settings.MESSAGE_RETENTION_DAYS == 90
    for bad in ("cashier:till-key-0123456789", "staff:short-secret", "till-key-0123456789"):
        with pytest.raises(SettingsError) as caught:
            load_settings(_env_file=None, ADMIN_API_KEYS=bad)
        assert "ADMIN_API_KEYS" in str(caught.value)
        assert bad.rpartition(":")[2] not in str(caught.value)


def test_secret_values_never_appear_in_setting_errors() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, REDIS_URL="http://user:hunter2@redis")
    assert "REDIS_URL" in str(caught.value) and "hunter2" not in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, MESSAGE_RETENTION_DAYS=0)
    assert "MESSAGE_RETENTION_DAYS=0" in str(caught.value)  # harmless values stay visible
