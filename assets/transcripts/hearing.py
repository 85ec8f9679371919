"""The engine loop: tracks fetched from the store, decoded once and transcribed side by side.

Shared by the transcripts asset (in its own process) and the Pipes worker
(``assets.transcripts.worker``), so both hear a track the same way. No catalogue access here:
a track names its audio by store key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from assets.common.storage import ObjectStore
from assets.transcripts.engines import decode_track
from assets.transcripts.models import ModelPool, TrackResult, transcribe_track


@dataclass(frozen=True)
class TrackAudio:
    """Where a track's audio is: the store key, and the channel of a stereo file (None: all)."""

    source: str
    channel: int | None
    #: The call's metadata language, or None to detect it among the tenant's.
    language: str | None


def track_audio(track: dict, source: str) -> TrackAudio:
    """A catalogue row of ``_tracks_to_transcribe`` as the audio the engine hears: the agent's
    own file, or the customer's channel of the stereo recording."""
    channel = None if track["track"] == "agent" else 1 - int(track["agent_channel"])
    return TrackAudio(source, channel, track["language"])


def hear_tracks(
    store: ObjectStore,
    pool: ModelPool,
    languages: Sequence[str],
    tracks: Sequence[TrackAudio],
    decode: Callable[[bytes, int | None], np.ndarray] = decode_track,
) -> Iterator[TrackResult]:
    """Each track's result, in track order. The pool's workers decode tracks side by side; a
    failure (or the caller stopping early) cancels the tracks not yet started."""

    def hear(track: TrackAudio) -> TrackResult:
        samples = decode(store.get_bytes(track.source), track.channel)
        return transcribe_track(pool, samples, track.language, languages)

    workers = ThreadPoolExecutor(pool.workers, thread_name_prefix="whisper")
    try:
        yield from workers.map(hear, tracks)
    finally:
        workers.shutdown(cancel_futures=True)
