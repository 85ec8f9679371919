"""The tenant's secret key, and the keyed pseudonyms made with it.

Compliance records must name who asked (an erasure request for a phone number, a hold on an
agent) without naming them: a plain digest of a Norwegian mobile number is reversed by trying
all 10^8 of them in seconds, so subjects are HMAC-SHA256 under a key that lives outside
everything it protects: never in the object store, never in DuckDB, never under the state
directory. Without the key a pseudonym cannot be tested against a guess.

The key is read from ``LYDSPOR_SECRET_KEY`` (hex or any text, at least 32 characters) or from
the file ``LYDSPOR_SECRET_KEY_FILE`` names. On the embedded default that file is
``data/secrets/lydspor.key`` beside (not inside) ``data/state``; it is created with 32 random
bytes and mode 0600 on first use. Losing the key only means new pseudonyms no longer match old
ones: nothing personal can be recovered with or without it.

The same key, through a subkey per purpose (``derived_key``), keys the audit chain's MACs, and
the chain's anchored heads are appended to a file beside the key (``audit_heads_file``): both
outside the catalogue and the store, which is what lets ``lydspor audit verify`` tell a rewritten
log from an intact one (see docs/access.md for what this does and does not protect against).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_VARIABLE = "LYDSPOR_SECRET_KEY"
KEY_FILE_VARIABLE = "LYDSPOR_SECRET_KEY_FILE"
#: Where the audit chain's anchored heads are appended (default: beside the key file).
AUDIT_HEADS_VARIABLE = "LYDSPOR_AUDIT_HEADS_FILE"
AUDIT_HEADS_NAME = "audit-heads.jsonl"
#: The shortest key accepted, in bytes (HMAC-SHA256 gains nothing past 64).
MIN_KEY_BYTES = 32
#: Hex characters of the HMAC kept in a pseudonym: 96 bits, beyond any brute force.
PSEUDONYM_HEX = 24


class SecretKeyError(RuntimeError):
    """No usable key: the message says where one is expected."""


def default_key_file(state_dir: Path) -> Path:
    """Where the embedded default keeps the key: next to the state directory, not in it."""
    return state_dir.resolve().parent / "secrets" / "lydspor.key"


def secret_key() -> bytes:
    text = os.environ.get(KEY_VARIABLE, "")
    if text:
        key = text.encode()
        if len(key) < MIN_KEY_BYTES:
            raise SecretKeyError(f"{KEY_VARIABLE} must be at least {MIN_KEY_BYTES} characters")
        return key
    path = os.environ.get(KEY_FILE_VARIABLE, "")
    if not path:
        raise SecretKeyError(
            f"set {KEY_VARIABLE} or {KEY_FILE_VARIABLE} (a file outside the store)"
        )
    return _key_from_file(Path(path))


def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.parent.chmod(0o700)
        # O_EXCL: two processes creating it at once must not end with different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(MIN_KEY_BYTES))
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise SecretKeyError(f"{path} holds {len(key)} bytes; a key needs {MIN_KEY_BYTES}")
    return key


def pseudonym(kind: str, value: str, key: bytes | None = None) -> str:
    """``kind:<hmac>``, the same for the same value under the same key; ``kind`` separates
    domains, so an agent id and a phone number that happen to be equal do not match."""
    digest = hmac.new(key or secret_key(), f"{kind}\x00{value}".encode(), hashlib.sha256)
    return f"{kind}:{digest.hexdigest()[:PSEUDONYM_HEX]}"


def derived_key(purpose: str, key: bytes | None = None) -> bytes:
    """A subkey of the tenant key for one purpose, so a MAC made for one use (an audit entry)
    can never be replayed as another (a pseudonym)."""
    return hmac.new(key or secret_key(), f"lydspor/{purpose}".encode(), hashlib.sha256).digest()


def audit_heads_file() -> Path:
    """The append-only file of anchored audit heads: $LYDSPOR_AUDIT_HEADS_FILE, else beside
    the key file."""
    configured = os.environ.get(AUDIT_HEADS_VARIABLE, "")
    if configured:
        return Path(configured)
    key_file = os.environ.get(KEY_FILE_VARIABLE, "")
    if not key_file:
        raise SecretKeyError(
            f"set {AUDIT_HEADS_VARIABLE} (a file outside the store and the catalogue) or "
            f"{KEY_FILE_VARIABLE}"
        )
    return Path(key_file).parent / AUDIT_HEADS_NAME


def append_private_line(path: Path, line: str) -> None:
    """Append one line to ``path``, creating it (and its folder) readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(line.rstrip("\n") + "\n")
        handle.flush()
        os.fsync(handle.fileno())
