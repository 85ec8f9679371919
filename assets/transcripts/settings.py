"""The tenant's transcription settings (the ``transcription`` section of the policy file)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assets.transcripts.models import ModelSpecError, check_models_form

#: Languages lydspor transcribes (Bokmål, Nynorsk, Danish, Swedish, English).
SUPPORTED_LANGUAGES = ("nb", "nn", "da", "sv", "en")


class VerbalConsentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Seconds from the start of the call in which the question and the answer are looked for.
    window_s: float = Field(default=90.0, gt=0)
    #: A clear spoken yes found in the transcript counts as consent on its own. Off by default:
    #: the evidence is for review, the dialer's record stays the consent.
    counts_as_consent: bool = False


class TranscriptionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Languages a call without one in its metadata may be detected as.
    languages: list[str] = Field(default_factory=lambda: list(SUPPORTED_LANGUAGES), min_length=1)
    #: Seconds of audio muted before and after each personal-data span (word times are
    #: approximate, to about a tenth of a second).
    mute_padding_s: float = Field(default=0.2, ge=0, le=2)
    verbal_consent: VerbalConsentSettings = Field(default_factory=VerbalConsentSettings)
    #: The Whisper model per language ("nb", ... or "default" for the rest): ``bundled:<name>``,
    #: a local CTranslate2 directory (relative: from the policy file's folder) or a model name
    #: already in the local cache. Empty: the deployment's ``LYDSPOR_WHISPER_MODEL`` for every
    #: language. Located when a run starts, before any audio (see ``models.py``).
    models: dict[str, str] = Field(default_factory=dict)
    #: Models held in memory at once per process (a count; Whisper base at int8 is about
    #: 165 MB resident, measured): more distinct models than this are reloaded as calls alternate.
    max_loaded_models: int = Field(default=2, ge=1, le=8)

    @field_validator("models")
    @classmethod
    def _model_form(cls, value: dict[str, str]) -> dict[str, str]:
        try:
            return check_models_form(value)
        except ModelSpecError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("languages")
    @classmethod
    def _supported(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SUPPORTED_LANGUAGES))
        if unknown:
            raise ValueError(f"unsupported languages {unknown}; use {list(SUPPORTED_LANGUAGES)}")
        return value
