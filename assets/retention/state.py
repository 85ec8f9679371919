"""Reconcile the ledger with what the store really holds, for a window of call dates."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from assets.common.storage import ObjectStore
from assets.retention.ledger import CUSTOMER_AUDIO, RETENTION_STATE_SCHEMA, objects_for_window

#: Prefixes lydspor writes per call date, and the class assumed for an unknown object in each.
#: Unknown raw audio may hold the customer's voice, so it is treated as customer audio.
DATED_PREFIXES = {
    "landing": "landing",
    "raw": CUSTOMER_AUDIO,
    "agent": "agent_audio",
    "transcripts": "transcript",
    "quarantine": "quarantine",
}


def reconcile(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, start: date, end: date
) -> pl.DataFrame:
    ledger = objects_for_window(con, start, end)
    known = set(ledger["object_key"].to_list())
    in_store: set[str] = set()
    orphans = []
    day = start
    while day < end:
        for prefix, object_class in DATED_PREFIXES.items():
            for obj in store.list(f"{prefix}/{day.isoformat()}/"):
                in_store.add(obj.key)
                if obj.key not in known:
                    orphans.append(
                        {
                            "object_key": obj.key,
                            "call_id": _call_id_from_key(obj.key),
                            "call_date": day,
                            "kind": "unregistered",
                            "object_class": object_class,
                            "legal_basis": None,
                            "purposes": None,
                            "created_at": obj.modified_at,
                            "deadline": None,
                            "deleted_at": None,
                            "in_store": True,
                            "in_ledger": False,
                        }
                    )
        day += timedelta(days=1)
    # Objects kept outside the dated prefixes (an agent's voiceprint, dated by the call it was
    # enrolled from) cannot be listed per day: each is looked up on its own.
    undated = [k for k in known if k.split("/", 1)[0] not in DATED_PREFIXES]
    in_store.update(k for k in undated if store.stat(k) is not None)
    registered = ledger.with_columns(
        in_store=pl.col("object_key").is_in(list(in_store)),
        in_ledger=pl.lit(True),
    )
    frame = pl.concat(
        [
            registered.cast(RETENTION_STATE_SCHEMA),
            pl.DataFrame(orphans, schema=RETENTION_STATE_SCHEMA),
        ]
    )
    return frame.sort("object_key")


def _call_id_from_key(key: str) -> str | None:
    parts = key.split("/")
    # raw/<date>/<call_id>/recording.wav, agent/<date>/<call_id>/agent.wav, ...
    return parts[2] if len(parts) >= 4 and parts[0] in {"raw", "agent", "transcripts"} else None
