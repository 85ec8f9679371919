"""Ingest landed calls: validate, hash, probe, store, catalogue; or quarantine with a reason.

``ingest_day`` takes everything landed for one call date (``grouping``); each call is checked
(``validation``), stored under raw/ and catalogued (``tables``), or left waiting or quarantined
(``quarantine``); its landing files are released once their content is safe (``release``).
"""

from assets.recordings.ingest.grouping import ingest_day, ingest_landed_call
from assets.recordings.ingest.tables import (
    CATALOGUE_TABLES,
    QUARANTINE_SCHEMA,
    QUARANTINE_TABLE,
    RECORDINGS_SCHEMA,
    RECORDINGS_TABLE,
    TRUTH_SCHEMA,
    TRUTH_TABLE,
    raw_key,
)
from assets.recordings.ingest.validation import IngestOutcome, Rejected

__all__ = [
    "CATALOGUE_TABLES",
    "QUARANTINE_SCHEMA",
    "QUARANTINE_TABLE",
    "RECORDINGS_SCHEMA",
    "RECORDINGS_TABLE",
    "TRUTH_SCHEMA",
    "TRUTH_TABLE",
    "IngestOutcome",
    "Rejected",
    "ingest_day",
    "ingest_landed_call",
    "raw_key",
]
