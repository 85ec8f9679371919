"""Dialer export adapters: each dialer's own metadata shape to lydspor's CallMetadata.

See docs/dialers.md for the field mapping and how to land each dialer's export.
"""

from __future__ import annotations

from assets.recordings.dialers.base import AdapterDefaults, MetadataError
from assets.recordings.dialers.generic import manifest_csv
from assets.recordings.dialers.registry import (
    SUPPORTED_DIALERS,
    is_manifest,
    parse_manifest,
    parse_metadata,
    split_metadata_name,
)

__all__ = [
    "SUPPORTED_DIALERS",
    "AdapterDefaults",
    "MetadataError",
    "is_manifest",
    "manifest_csv",
    "parse_manifest",
    "parse_metadata",
    "split_metadata_name",
]
