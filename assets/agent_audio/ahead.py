"""The models' work on recordings, started in worker threads before the recordings' turn.

``process_recording`` handles one call at a time, in order, because it writes the catalogue and
the store and because agent tracks enrol the voiceprints the mono calls are isolated by. Its
costly part is pure: decoding, CAM++ on an agent track (enrolment) and segmentation plus CAM++
on a mono mix (isolation). ``Ahead`` runs that part for the next few recordings in worker
threads while the current one is written, and hands each result to ``process_recording`` when
its turn comes. Nothing is decided here: a result is used only when it is what
``process_recording`` would have computed itself (the same recording, and for isolation the
same voiceprint); anything else is computed in place, as without ``Ahead``.

Threads, not processes: torch and the CAM++ and segmentation kernels release the GIL, and the
models are loaded once for all workers. Each worker runs torch on one thread: on 2 cores, two
recordings side by side on one thread each took 0.6 of the time of one at a time on two threads
(31 agent tracks enrolled and 9 mono calls isolated, the same voiceprints and outcomes, under
load), since two threads per small convolution mostly wait for each other.

Knob: ``workers`` (a count; 0: one per CPU core) recordings analysed at once; ``depth``
(a count) recordings started ahead of the one being written, which bounds the decoded audio
held in memory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager

import numpy as np

from assets.agent_audio import isolation as iso
from assets.agent_audio.embeddings import LazyEncoder, shared_encoder
from assets.agent_audio.enrolment import Enrolment, enrol
from assets.common.storage import ObjectStore
from assets.recordings.probe import read_audio

Audio = tuple[np.ndarray, int]
#: Torch threads of the shared models when they run one recording at a time.
MODEL_THREADS = 2


def agent_track(samples: np.ndarray, recording: dict) -> np.ndarray:
    """The agent's own audio in a stereo or agent-only recording."""
    if recording["recording_mode"] == "stereo":
        return samples[:, int(recording["agent_channel"])]
    return samples


class Inline:
    """The work done in place, when it comes to it (what ``process_recording`` does alone)."""

    def audio(self, store: ObjectStore, key: str) -> Audio:
        return read_audio(store.get_bytes(key))

    def enrolment(self, key: str, samples: np.ndarray, rate: int) -> Enrolment:
        """Raises ``NotEnoughSpeech`` as ``enrol`` does."""
        return enrol(samples, rate, LazyEncoder())

    def isolation(
        self,
        key: str,
        samples: np.ndarray,
        rate: int,
        voiceprint: np.ndarray | None,
        settings: iso.IsolationSettings | None,
    ) -> iso.Isolation:
        return iso.isolate(samples, rate, voiceprint, settings=settings)


class Ahead(Inline, AbstractContextManager):
    """Recordings' audio, enrolments and isolations computed ahead by ``workers`` threads."""

    def __init__(self, store: ObjectStore, workers: int = 0, depth: int = 3) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.depth = max(depth, self.workers)
        self._store = store
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="agent-audio")
        self._queue: list[tuple[str, Callable[[], object]]] = []
        self._started: dict[str, Future] = {}
        self._voiceprints: dict[str, np.ndarray | None] = {}
        self._threads = MODEL_THREADS

    def __enter__(self) -> Ahead:
        # Torch is imported by the first model used, not here: a run with nothing to isolate
        # or enrol never pays for it.
        if "torch" in sys.modules:
            self._threads = sys.modules["torch"].get_num_threads()
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(cancel_futures=True)
        if "torch" in sys.modules and self.workers > 1:
            sys.modules["torch"].set_num_threads(self._threads)

    def _one_thread_each(self) -> None:
        """With several workers, torch on one thread in this one (set after the models are
        loaded: loading them sets the threads too)."""
        if self.workers > 1:
            import torch

            torch.set_num_threads(1)

    # -- planning (the writing thread) ----------------------------------------------------

    def plan_enrolment(self, recording: dict, enrols: bool) -> None:
        """Decode this agent track ahead, and enrol it ahead when ``enrols`` (the agent will
        still want an enrolment when its turn comes)."""
        key, store = recording["object_key"], self._store

        def work():
            samples, rate = read_audio(store.get_bytes(key))
            enrolment = None
            if enrols:
                encoder = shared_encoder(MODEL_THREADS)
                self._one_thread_each()
                try:
                    enrolment = enrol(agent_track(samples, recording), rate, encoder)
                except Exception as exc:  # NotEnoughSpeech: raised again at its turn
                    enrolment = exc
            return samples, rate, enrolment

        self._queue.append((key, work))

    def plan_isolation(
        self, recording: dict, voiceprint: np.ndarray | None, settings: iso.IsolationSettings
    ) -> None:
        """Decode this mono call ahead and isolate it by ``voiceprint``."""
        key, store = recording["object_key"], self._store
        self._voiceprints[key] = voiceprint

        def work():
            samples, rate = read_audio(store.get_bytes(key))
            try:
                models = iso.shared_models(MODEL_THREADS)
                self._one_thread_each()
                result = iso.isolate(samples, rate, voiceprint, models, settings)
            except Exception as exc:  # raised again at its turn, where failure is handled
                result = exc
            return samples, rate, result

        self._queue.append((key, work))

    def turn(self, key: str) -> None:
        """The recording ``key`` is next: start it, and those after it up to ``depth``."""
        position = next((i for i, (k, _) in enumerate(self._queue) if k == key), None)
        if position is None:
            return
        done = self._queue[:position]
        self._queue = self._queue[position:]
        for k, _ in done:
            self._started.pop(k, None)
        for k, work in self._queue[: self.depth]:
            if k not in self._started:
                self._started[k] = self._pool.submit(work)

    # -- what process_recording asks for --------------------------------------------------

    def _result(self, key: str):
        future = self._started.get(key)
        return None if future is None else future.result()

    def audio(self, store: ObjectStore, key: str) -> Audio:
        got = self._result(key)
        return (got[0], got[1]) if got else super().audio(store, key)

    def enrolment(self, key: str, samples: np.ndarray, rate: int) -> Enrolment:
        got = self._result(key)
        if got is None or got[2] is None:
            return super().enrolment(key, samples, rate)
        if isinstance(got[2], Exception):
            raise got[2]
        return got[2]

    def isolation(self, key, samples, rate, voiceprint, settings) -> iso.Isolation:
        got = self._result(key)
        planned = self._voiceprints.get(key)
        same = (
            got is not None
            and (voiceprint is None) == (planned is None)
            and (voiceprint is None or np.array_equal(voiceprint, planned))
        )
        if not same:
            return super().isolation(key, samples, rate, voiceprint, settings)
        if isinstance(got[2], Exception):
            raise got[2]
        return got[2]
