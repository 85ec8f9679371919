"""Find landed calls: audio and metadata side by side under ``landing/<YYYY-MM-DD>/``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from assets.common.storage import ObjectInfo, ObjectStore, key_problem
from assets.recordings.dialers.base import MetadataError
from assets.recordings.dialers.registry import is_manifest, split_metadata_name
from assets.recordings.probe import SUPPORTED_EXTENSIONS

LANDING_PREFIX = "landing"


@dataclass
class LandedCall:
    """The files one call left in the landing area, grouped by their stem."""

    stem: str
    landing_date: date
    audio: ObjectInfo | None = None
    metadata: ObjectInfo | None = None
    truth: ObjectInfo | None = None
    extra: list[ObjectInfo] = field(default_factory=list)

    @property
    def objects(self) -> list[ObjectInfo]:
        found = [self.audio, self.metadata, self.truth, *self.extra]
        return [obj for obj in found if obj is not None]

    @property
    def newest(self) -> datetime:
        return max(obj.modified_at for obj in self.objects)


def landing_prefix(day: date) -> str:
    return f"{LANDING_PREFIX}/{day.isoformat()}/"


def list_landed_calls(store: ObjectStore, day: date) -> list[LandedCall]:
    """Group one day's landing objects by call; dated prefixes keep a big bucket cheap to list."""
    return list_landing(store, day)[0]


def list_landing(store: ObjectStore, day: date) -> tuple[list[LandedCall], list[ObjectInfo]]:
    """One day's landed calls, and the generic manifests that describe some of them."""
    calls: dict[str, LandedCall] = defaultdict(lambda: LandedCall("", day))
    manifests: list[ObjectInfo] = []
    prefix = landing_prefix(day)
    for obj in store.list(prefix):
        # A file in a subfolder keeps its folder in its stem ("a/b"), so it never pairs with a
        # call of the same name in the date folder; ingest quarantines it with the reason.
        name = obj.key.removeprefix(prefix)
        if is_manifest(name) and "/" not in name:
            manifests.append(obj)
            continue
        if unaddressable(obj.key):
            stem, slot = printable(name), "extra"
        elif name.endswith(".truth.json"):
            stem, slot = name.removesuffix(".truth.json"), "truth"
        elif name.endswith(".json"):
            stem, slot = _metadata_stem(name), "metadata"
        elif "." in name and name.rsplit(".", 1)[1].lower() in SUPPORTED_EXTENSIONS:
            stem, slot = name.rsplit(".", 1)[0], "audio"
        else:
            stem, slot = name.rsplit(".", 1)[0], "extra"
        call = calls[stem]
        call.stem = stem
        if slot == "extra" or getattr(call, slot) is not None:
            call.extra.append(obj)
        else:
            setattr(call, slot, obj)
    return [calls[stem] for stem in sorted(calls)], manifests


def unaddressable(key: str) -> str | None:
    """Why the object store cannot read, copy or delete this landed file (a name with control
    characters, a ``..`` part, a backslash, bytes that are not UTF-8), or None. Such a file can
    only be renamed in the landing area by an operator; ingest leaves it where it is."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return f"file name {printable(key)} is not valid UTF-8"
    problem = key_problem(key)
    return f"the object store refuses the file name: {problem}" if problem else None


def printable(text: str) -> str:
    """The text with control characters, invisible marks and undecodable bytes escaped."""
    return repr(text)[1:-1]


def _metadata_stem(name: str) -> str:
    """``call-7.genesys.json`` pairs with ``call-7.wav``; an unknown dialer suffix still pairs,
    so the call is quarantined whole with the reason. A subfolder stays in the stem."""
    folder, slash, base = name.rpartition("/")
    try:
        stem = split_metadata_name(base)[0]
    except MetadataError:
        stem = base.removesuffix(".json").rsplit(".", 1)[0]
    return f"{folder}{slash}{stem}"
