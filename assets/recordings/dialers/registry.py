"""Which adapter reads a landed metadata file: chosen by the file name's suffix.

``<call_id>.json`` is lydspor's canonical record; ``<call_id>.<dialer>.json`` is that
dialer's own export (``call-7.genesys.json``); ``manifest.json``/``manifest.csv`` (or any
name ending in them, e.g. ``2026-11-02.manifest.csv``) list several calls of a dialer without
an adapter. Every failure is a :class:`MetadataError` whose message names the dialer and the
field, ready to be a quarantine reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from assets.recordings.dialers import adversus, dialfire, generic, genesys, leaddesk, leocall
from assets.recordings.dialers.base import AdapterDefaults, DialerMapping, MetadataError
from assets.recordings.metadata import CallMetadata

_ADAPTERS = (adversus, dialfire, genesys, leaddesk, leocall)
#: dialer name (the file-name suffix) -> its mapping (``parse(data, defaults, call_id=...)``).
MAPPINGS: dict[str, DialerMapping] = {a.MAPPING.dialer: a.MAPPING for a in _ADAPTERS}
#: dialer name -> render(call): the export its adapter reads back as that call.
RENDERERS: dict[str, Callable[[CallMetadata], dict]] = {
    a.MAPPING.dialer: a.render for a in _ADAPTERS
}
SUPPORTED_DIALERS = tuple(sorted(MAPPINGS))
MANIFEST_SUFFIXES = ("manifest.json", "manifest.csv")

#: A trailing ".<letter><letters or digits>" in a metadata file's stem is read as a dialer
#: name, so a canonical call id must not end in one ("2026.11.02-17" is fine, "call.v2" is not).
_DIALER_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<dialer>[a-z][a-z0-9]*)$")


def split_metadata_name(filename: str) -> tuple[str, str | None]:
    """``call-7.genesys.json`` -> ("call-7", "genesys"); ``call-7.json`` -> ("call-7", None).

    The stem is the call id the audio file must share. Raises MetadataError for names that
    are not call metadata (not .json, ground truth, an unknown dialer).
    """
    name = filename.rsplit("/", 1)[-1]
    if not name.endswith(".json"):
        raise MetadataError.one("registry", "file name", f"{name!r} is not a .json metadata file")
    if name.endswith(".truth.json"):
        raise MetadataError.one("registry", "file name", f"{name!r} is ground truth, not metadata")
    if is_manifest(name):
        raise MetadataError.one(
            "registry", "file name", f"{name!r} is a manifest: use parse_manifest"
        )
    base = name.removesuffix(".json")
    match = _DIALER_SUFFIX.match(base)
    if match is None:
        return base, None
    if match["dialer"] not in MAPPINGS:
        raise MetadataError.one(
            "registry",
            "file name",
            f"unknown dialer {match['dialer']!r} in {name!r}; supported: "
            f"{', '.join(SUPPORTED_DIALERS)} (or <call_id>.json for the canonical record)",
        )
    return match["stem"], match["dialer"]


def is_manifest(filename: str) -> bool:
    return filename.rsplit("/", 1)[-1].endswith(MANIFEST_SUFFIXES)


def parse_metadata(filename: str, data: bytes, defaults: AdapterDefaults) -> CallMetadata:
    """One call's sidecar file to its CallMetadata; the call id must be the file's stem."""
    stem, dialer = split_metadata_name(filename)
    if dialer is None:
        return generic.parse_canonical(data, call_id=stem)
    return MAPPINGS[dialer].parse(data, defaults, call_id=stem)


def parse_manifest(
    filename: str, data: bytes, defaults: AdapterDefaults
) -> list[tuple[str, CallMetadata]]:
    """A generic manifest to (audio file name, call) pairs, in the manifest's order."""
    name = filename.rsplit("/", 1)[-1]
    if name.endswith("manifest.json"):
        return generic.parse_manifest_json(data, defaults, name=name)
    if name.endswith("manifest.csv"):
        return generic.parse_manifest_csv(data, defaults, name=name)
    raise MetadataError.one(
        "registry", "file name", f"{name!r} is not a manifest (manifest.json or manifest.csv)"
    )


def export_name(dialer: str, call_id: str) -> str:
    return f"{call_id}.{dialer}.json"


def export_call(dialer: str, call: CallMetadata, defaults: AdapterDefaults) -> bytes:
    """``call`` as ``dialer``'s export (the sample data's dialer drops), checked to come back
    through the adapter as ``call`` itself under the tenant's ``defaults``: a field the export
    cannot carry must be one the defaults fill with the same value. ValueError says which."""
    if call.dialer != dialer:
        raise ValueError(f"call {call.call_id} says dialer {call.dialer!r}, not {dialer!r}")
    data = (json.dumps(RENDERERS[dialer](call), indent=2, ensure_ascii=False) + "\n").encode()
    back = parse_metadata(export_name(dialer, call.call_id), data, defaults)
    differing = [
        f"{field} {getattr(call, field)!r} (comes back as {getattr(back, field)!r})"
        for field in CallMetadata.model_fields
        if getattr(back, field) != getattr(call, field)
    ]
    if differing:
        raise ValueError(
            f"{dialer} cannot export call {call.call_id} with these tenant defaults: "
            + "; ".join(differing)
        )
    return data
