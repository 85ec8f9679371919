"""Keyed pseudonyms: stable under one key, unguessable without it, kept outside the state."""

from __future__ import annotations

import hashlib
import stat

import pytest

from assets.common import secrets


def test_key_file_is_created_private_and_reused(tmp_path, monkeypatch):
    path = tmp_path / "secrets" / "lydspor.key"
    monkeypatch.delenv(secrets.KEY_VARIABLE, raising=False)
    monkeypatch.setenv(secrets.KEY_FILE_VARIABLE, str(path))
    first = secrets.pseudonym("phone", "+4791234567")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secrets.pseudonym("phone", "+4791234567") == first
    assert first.startswith("phone:") and "91234567" not in first
    # A plain digest of the number is not what is stored, and the kind separates domains.
    assert hashlib.sha256(b"+4791234567").hexdigest()[:24] not in first
    assert secrets.pseudonym("agent", "+4791234567") != first
    path.write_bytes(b"k" * 32)
    assert secrets.pseudonym("phone", "+4791234567") != first


def test_default_key_file_is_beside_the_state_not_in_it(tmp_path):
    state = tmp_path / "data" / "state"
    assert not secrets.default_key_file(state).is_relative_to(state)


def test_a_short_or_missing_key_is_refused(monkeypatch):
    monkeypatch.setenv(secrets.KEY_VARIABLE, "short")
    with pytest.raises(secrets.SecretKeyError, match="at least"):
        secrets.secret_key()
    monkeypatch.delenv(secrets.KEY_VARIABLE)
    monkeypatch.delenv(secrets.KEY_FILE_VARIABLE, raising=False)
    with pytest.raises(secrets.SecretKeyError, match="outside the store"):
        secrets.secret_key()
