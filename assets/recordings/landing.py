"""Find landed calls: audio and metadata side by side under ``landing/<YYYY-MM-DD>/``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from assets.recordings.dialers.base import MetadataError
from assets.recordings.dialers.registry import is_manifest, split_metadata_name
from assets.recordings.probe import SUPPORTED_EXTENSIONS
from orchestration.storage import ObjectInfo, ObjectStore

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
    for obj in store.list(landing_prefix(day)):
        name = obj.key.rsplit("/", 1)[-1]
        if is_manifest(name):
            manifests.append(obj)
            continue
        if name.endswith(".truth.json"):
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


def _metadata_stem(name: str) -> str:
    """``call-7.genesys.json`` pairs with ``call-7.wav``; an unknown dialer suffix still pairs,
    so the call is quarantined whole with the reason."""
    try:
        return split_metadata_name(name)[0]
    except MetadataError:
        return name.removesuffix(".json").rsplit(".", 1)[0]
