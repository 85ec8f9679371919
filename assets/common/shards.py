"""Static shards of a call date: which worker takes which call when one day is too big for one
step (issue 23).

- ``LYDSPOR_SHARDS``: how many shards each call date's heavy work (ingest, consent, agent
  audio, transcription) is split into; a whole number from 1 to ``MAX_SHARDS``. 1 (the
  default) keeps one partition per call date, exactly the single-machine layout. Read when the
  code location loads: changing it changes the partitions, so existing partitions' history no
  longer matches; set it once per deployment.

A call's shard is a stable hash of its id (the first 8 bytes of SHA-256, big-endian, modulo
the shard count), so every process, every run and every rerun agrees where a call belongs,
and the shards are balanced to within sampling noise whatever the ids look like.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

SHARDS_VARIABLE = "LYDSPOR_SHARDS"
#: The two dimensions of a sharded partition key (``dg.MultiPartitionKey``).
DATE_DIMENSION, SHARD_DIMENSION = "date", "shard"
#: An upper bound that catches a typo (``400`` for ``4``): each shard is a partition per day.
MAX_SHARDS = 256


def shard_count(environ: Mapping[str, str] = os.environ) -> int:
    """``LYDSPOR_SHARDS``, checked: a bad value must not silently run unsharded."""
    raw = environ.get(SHARDS_VARIABLE, "").strip() or "1"
    try:
        shards = int(raw)
    except ValueError:
        shards = 0
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"{SHARDS_VARIABLE}={raw!r}: expected a whole number 1..{MAX_SHARDS}")
    return shards


def shard_of(key: str, shards: int) -> int:
    """The shard (0-based) of a call id, or of a landed call's file stem, among ``shards``."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def shard_keys(shards: int) -> list[str]:
    """The static partition keys of the shards: ``"0"`` .. ``str(shards - 1)``."""
    return [str(k) for k in range(shards)]
