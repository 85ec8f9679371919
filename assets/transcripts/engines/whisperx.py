"""The whisperx engine: batched Whisper inference for GPU machines (optional group ``whisperx``).

whisperx transcribes offline from a local CTranslate2 model with the pyannote VAD inside its
wheel, but gives segment times only. Word times come from wav2vec2 alignment when that model is
available; otherwise from Whisper itself: each whisperx segment's text is force-aligned to its
audio with the same model's cross-attention (faster-whisper's word-timestamp method), so the
words are whisperx's own and their times as good as faster-whisper's. Diarization (pyannote)
labels each word's speaker when asked for. Alignment and diarization models come from the
Hugging Face hub: when one is missing the error names it and how to provide it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assets.transcripts.engines.base import (
    SAMPLE_RATE,
    Transcript,
    WhisperEngine,
    Word,
    whisper_code,
)

#: How word times are found: wav2vec2 if present else Whisper ("auto"), wav2vec2 or fail
#: ("required"), or Whisper only ("off").
ALIGNMENT_MODES = ("auto", "required", "off")
DEFAULT_DIARIZE_MODEL = "pyannote/speaker-diarization-community-1"
# faster-whisper's defaults: punctuation joins the word it belongs to.
_PREPEND = "\"'“¿([{-"
_APPEND = "\"'.\u3002,\uff0c!\uff01?\uff1f:\uff1a\u201d)]}\u3001"


class EngineModelMissing(RuntimeError):
    """A model the chosen engine feature needs is not available on this machine."""


def default_align_model(language: str) -> str:
    """whisperx's default wav2vec2 model for a lydspor language."""
    from whisperx.alignment import DEFAULT_ALIGN_MODELS_HF, DEFAULT_ALIGN_MODELS_TORCH

    code = whisper_code(language)
    return DEFAULT_ALIGN_MODELS_TORCH.get(code) or DEFAULT_ALIGN_MODELS_HF[code]


def load_aligner(language: str, align_model: str = "", model_dir: str | None = None, device="cpu"):
    """(model, metadata) for wav2vec2 alignment, or ``EngineModelMissing`` naming the model."""
    import whisperx

    name = align_model or default_align_model(language)
    try:
        _refuse_torchaudio_download(name, model_dir)
        return whisperx.load_align_model(
            language_code=whisper_code(language),
            device=device,
            model_name=name,
            model_dir=model_dir,
            # Hub names resolve from the local cache only: lydspor never downloads at run time.
            model_cache_only=True,
        )
    except Exception as exc:  # huggingface_hub and torchaudio each raise their own
        raise EngineModelMissing(
            f"whisperx alignment for {language!r} needs the wav2vec2 model {name!r}, which is "
            f"not available on this machine ({type(exc).__name__}: {str(exc)[:200]}). "
            f"{_how_to_provide(name, model_dir)} With alignment 'auto' lydspor uses Whisper's "
            "own word timestamps instead."
        ) from exc


def _how_to_provide(name: str, model_dir: str | None) -> str:
    import torchaudio

    bundle = getattr(torchaudio.pipelines, name, None)
    if bundle is not None:
        return (
            f"Provide it: download {bundle._path} (torchaudio's {name} bundle) on a machine "
            f"with internet and copy it into {model_dir or 'the torch hub checkpoints folder'} "
            "(LYDSPOR_MODEL_DIR)."
        )
    return (
        f"Provide it: on a machine with internet run `huggingface-cli download {name} "
        "--local-dir DIR`, copy DIR here and set LYDSPOR_WHISPERX_ALIGN_MODEL=DIR."
    )


def _refuse_torchaudio_download(name: str, model_dir: str | None) -> None:
    """torchaudio bundles (English) download their checkpoint when it is missing: lydspor
    never downloads at run time, so a missing checkpoint is an error here."""
    import torch
    import torchaudio

    bundle = getattr(torchaudio.pipelines, name, None)
    if bundle is None:
        return
    folder = Path(model_dir) if model_dir else Path(torch.hub.get_dir()) / "checkpoints"
    checkpoint = folder / Path(bundle._path).name
    if not checkpoint.is_file():
        raise FileNotFoundError(f"no {checkpoint}")


def load_diarizer(
    diarize_model: str = DEFAULT_DIARIZE_MODEL, cache_dir: str | None = None, device="cpu"
):
    """The pyannote diarization pipeline, or ``EngineModelMissing`` naming the model."""
    from whisperx.diarize import DiarizationPipeline

    name = diarize_model
    try:
        return DiarizationPipeline(model_name=name, device=device, cache_dir=cache_dir)
    except Exception as exc:  # the hub client raises many kinds when offline or gated
        raise EngineModelMissing(
            f"whisperx diarization needs the pyannote pipeline {name!r}, which is not available "
            f"on this machine ({type(exc).__name__}: {str(exc)[:160]}). Provide it: accept its "
            f"conditions at https://hf.co/{name}, run `huggingface-cli download {name} "
            "--local-dir DIR` on a machine with internet, copy DIR here and set "
            "LYDSPOR_WHISPERX_DIARIZE_MODEL=DIR (its config.yaml inside); leave it empty for no "
            "diarization."
        ) from exc


def speaker_of(start: float, end: float, turns: list[tuple[float, float, str]]) -> str | None:
    """The diarization speaker overlapping the interval most (None when none overlaps)."""
    best, label = 0.0, None
    for t_start, t_end, speaker in turns:
        overlap = min(end, t_end) - max(start, t_start)
        if overlap > best:
            best, label = overlap, speaker
    return label


class WhisperXEngine(WhisperEngine):
    """Batched whisperx transcription; on a GPU when one is there, else on the CPU."""

    name = "whisperx"

    def _load(
        self,
        batch_size: int = 8,
        device: str = "auto",
        alignment: str = "auto",
        align_model: str = "",
        diarize_model: str = "",
        model_dir: str | None = None,
    ) -> None:
        if alignment not in ALIGNMENT_MODES:
            raise ValueError(f"alignment must be one of {ALIGNMENT_MODES}, not {alignment!r}")
        import torch
        import whisperx

        self.device = (
            ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        )
        self.batch_size = batch_size
        self.alignment, self.align_model, self.model_dir = alignment, align_model, model_dir
        self._aligners: dict[str, tuple] = {}
        self._pipeline = whisperx.load_model(
            self.model_name,
            self.device,
            compute_type=self.compute_type if self.device == "cpu" else "float16",
            threads=self.cpu_threads,
            asr_options={"beam_size": self.beam_size, "condition_on_previous_text": False},
            vad_method="pyannote",  # its weights ship in the whisperx wheel; silero downloads
        )
        # Diarization is on when a model is named. Fail at start-up, not after an hour of
        # transcription, when it can't load.
        self._diarizer = (
            load_diarizer(diarize_model, model_dir, self.device) if diarize_model else None
        )

    @property
    def _whisper(self):
        """The faster-whisper model inside the pipeline (for language and word timing)."""
        return self._pipeline.model

    def transcribe(self, samples: np.ndarray, language: str) -> Transcript:
        samples = np.asarray(samples, dtype=np.float32)
        result = self._pipeline.transcribe(
            samples, batch_size=self.batch_size, language=whisper_code(language)
        )
        segments = [s for s in result["segments"] if s["text"].strip()]
        words, how = self._aligned(segments, samples, language), "align"
        if words is None:
            words, how = self._whisper_timed(segments, samples, language), "whisper"
        if self._diarizer is not None:
            turns = self._diarizer(samples)
            spans = [(float(r.start), float(r.end), str(r.speaker)) for r in turns.itertuples()]
            words = [
                Word(
                    w.word,
                    w.start,
                    w.end,
                    w.probability,
                    w.segment_index,
                    speaker_of(w.start, w.end, spans),
                )
                for w in words
            ]
        return Transcript(
            language=language,
            duration_s=len(samples) / SAMPLE_RATE,
            words=words,
            engine=self.name,
            timestamps=how,
        )

    def _aligned(self, segments: list[dict], samples: np.ndarray, language: str):
        """Words timed by wav2vec2, or None where alignment is off or (in "auto") missing."""
        if self.alignment == "off" or not segments:
            return None
        if language not in self._aligners:
            try:
                self._aligners[language] = load_aligner(
                    language, self.align_model, self.model_dir, self.device
                )
            except EngineModelMissing:
                if self.alignment == "required":
                    raise
                self._aligners[language] = ()  # remembered: don't retry per track
        if not self._aligners[language]:
            return None
        import whisperx

        model, metadata = self._aligners[language]
        aligned = whisperx.align(segments, model, metadata, samples, self.device)
        words = []
        for index, segment in enumerate(aligned["segments"]):
            for w in segment.get("words", []):
                # wav2vec2 has no characters for digits: such words get no time of their own;
                # they take their segment's bounds rather than being dropped (PII hides there).
                start = w.get("start", segment["start"])
                end = w.get("end", segment["end"])
                if w["word"].strip():
                    words.append(
                        Word(w["word"].strip(), round(start, 3), round(end, 3),
                             round(float(w.get("score", 0.0)), 4), index)
                    )  # fmt: skip
        return words

    def _whisper_timed(self, segments: list[dict], samples: np.ndarray, language: str):
        """Each segment's own text force-aligned by Whisper's cross-attention (DTW)."""
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import merge_punctuations

        model = self._whisper
        tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, "transcribe", whisper_code(language)
        )
        frames_max = model.feature_extractor.nb_max_frames
        words: list[Word] = []
        for index, segment in enumerate(segments):
            first = int(segment["start"] * SAMPLE_RATE)
            chunk = samples[first : int(segment["end"] * SAMPLE_RATE)]
            features = model.feature_extractor(chunk)
            frames = min(frames_max, features.shape[-1] - 1)
            if frames <= 0:
                continue
            encoded = model.encode(pad_or_trim(features[:, :frames]))
            tokens = tokenizer.encode(" " + segment["text"].strip())
            alignment = model.find_alignment(tokenizer, [tokens], encoded, frames)[0]
            merge_punctuations(alignment, _PREPEND, _APPEND)
            for w in alignment:
                if not w["word"].strip():
                    continue
                start = segment["start"] + float(w["start"])
                end = min(segment["start"] + float(w["end"]), segment["end"])
                words.append(
                    Word(w["word"].strip(), round(start, 3), round(max(start, end), 3),
                         round(float(w["probability"]), 4), index)
                )  # fmt: skip
        return words
