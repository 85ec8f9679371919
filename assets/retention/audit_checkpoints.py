"""Write-once checkpoints of the audit head, in an S3 bucket with object lock.

The heads file (``audit.anchor``) lies beside the key: whoever holds the host and the key can
rewrite the catalogue and the heads file together, with valid MACs. A checkpoint is an object
written under an S3 object-lock retention in COMPLIANCE mode, which no credential (the bucket
owner's and root's included) can shorten, lift, delete or overwrite before it expires: a
rewritten or truncated log no longer matches it, and a plain delete only leaves a delete marker
that ``verify`` sees. The embedded store has no such storage; its checkpoint is the heads file,
which the host's administrator can rewrite (see docs/access.md).

A checkpoint's key carries its head, ``audit/checkpoints/<log id>/<seq>-<hash>.json``, so one
listing (a request per 1,000 checkpoints) checks them all without reading each.

Knobs: ``EVERY_ENTRIES`` (entries) and ``EVERY`` (a duration): ``anchor`` writes a checkpoint
when the log has none yet, or when that many entries or that much time have passed since the
last one; entries after the last checkpoint are protected by the heads file alone.
``RETAIN_FOR`` (a duration, at least the policy's ``audit_log`` window): how long each
checkpoint is locked; it holds a sequence number and a hash, no personal data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

PREFIX = "audit/checkpoints/"
EVERY_ENTRIES = 100
EVERY = timedelta(minutes=15)
RETAIN_FOR = timedelta(days=3653)
_KEY = re.compile(r"^audit/checkpoints/([0-9a-f-]{36})/(\d{20})-([0-9a-f]{64})\.json$")


@dataclass(frozen=True)
class Checkpoint:
    key: str
    log: str | None  # None: an object under the prefix that is no checkpoint
    seq: int
    hash: str
    deleted: bool


def write_once(store: object) -> bool:
    """Whether ``store`` can hold checkpoints: an S3 bucket with object lock."""
    return bool(getattr(store, "object_lock", False))


def key(log: str, seq: int, digest: str) -> str:
    return f"{PREFIX}{log}/{seq:020d}-{digest}.json"


def due(recorded: dict | None, seq: int, now: datetime) -> bool:
    """Whether head ``seq`` is checkpointed, after ``recorded`` ({seq, at}, the last one)."""
    if recorded is None:
        return True
    since = now - datetime.fromisoformat(recorded["at"])
    return seq - recorded["seq"] >= EVERY_ENTRIES or (seq > recorded["seq"] and since >= EVERY)


def write(store, line: dict, now: datetime) -> str:
    """Write the anchored head ``line`` (MAC'd) as a write-once checkpoint; returns its key."""
    name = key(line["log"], line["seq"], line["hash"])
    until = (now + RETAIN_FOR).replace(microsecond=0)  # whole seconds: S3 dates have no more
    store.put_retained(name, json.dumps(line, sort_keys=True).encode(), until)
    return name


def checkpoints(store) -> list[Checkpoint]:
    """Every checkpoint in the bucket, of every log, deleted ones marked."""
    found: dict[str, Checkpoint] = {}
    for name, marker in store.versions(PREFIX):
        match = _KEY.match(name)
        log, seq, digest = (match[1], int(match[2]), match[3]) if match else (None, -1, "")
        before = found.get(name)
        found[name] = Checkpoint(name, log, seq, digest, marker or bool(before and before.deleted))
    return sorted(found.values(), key=lambda c: (c.log or "", c.seq))


def problem(
    found: list[Checkpoint],
    log: str,
    hashes: dict[int, str],
    start: tuple[int, str],
    last: int,
    recorded: int | None,
) -> str | None:
    """What is wrong with the log (id ``log``, chain start ``start`` = (seq, hash), last entry
    ``last``, entry hashes ``hashes``) against the checkpoints ``found``; ``recorded`` is the
    last checkpoint the heads file says was written. None when it matches them all."""
    for c in found:
        if c.deleted:
            return f"the write-once checkpoint {c.key} was deleted (a delete marker hides it)"
        if c.log is None:
            return f"{c.key} under {PREFIX} is no checkpoint: the checkpoints were tampered with"
        if c.log != log:
            return (
                f"the bucket holds write-once checkpoints of another audit log ({c.log}): "
                "this log replaced it"
            )
    mine = [c for c in found if c.log == log]
    if recorded is not None and (not mine or mine[-1].seq < recorded):
        return f"the write-once checkpoint of entry {recorded} is missing from the bucket"
    for c in mine:
        if c.seq > last:
            return f"entries {last + 1}..{c.seq} were removed from the end (checkpoint {c.key})"
        at = start[1] if c.seq == start[0] and c.seq > 0 else hashes.get(c.seq)
        if (c.seq > start[0] or at is not None) and at != c.hash:
            return f"entry {c.seq} differs from the write-once checkpoint {c.key}"
    return None
