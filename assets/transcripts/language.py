"""Which language to transcribe in: the call's metadata when it says, else Whisper's guess
restricted to the languages the tenant serves (a guess outside them is never used)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assets.transcripts.engines import WHISPER_LANGUAGE


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    #: "metadata" (forced from the call's metadata) or "detected" (Whisper, restricted).
    source: str
    #: Whisper's probability for the chosen language, renormalised over the allowed ones.
    probability: float | None


def choose_language(
    known: str | None,
    allowed: Sequence[str],
    probabilities: Callable[[], dict[str, float]],
) -> LanguageChoice:
    """``known`` wins when it is a language lydspor serves; otherwise the most probable of
    ``allowed``, from ``probabilities()`` (Whisper's codes), called only then."""
    if known:
        if known not in WHISPER_LANGUAGE:
            raise ValueError(
                f"the call's language {known!r} is not one lydspor transcribes "
                f"({', '.join(WHISPER_LANGUAGE)})"
            )
        return LanguageChoice(known, "metadata", None)
    unknown = [code for code in allowed if code not in WHISPER_LANGUAGE]
    if not allowed or unknown:
        raise ValueError(
            f"the tenant's languages {list(allowed)} must be a non-empty subset of "
            f"{list(WHISPER_LANGUAGE)}"
        )
    guessed = probabilities()
    scores = {code: guessed.get(WHISPER_LANGUAGE[code], 0.0) for code in allowed}
    best = max(allowed, key=lambda code: scores[code])  # ties keep the tenant's order
    total = sum(scores.values())
    return LanguageChoice(best, "detected", round(scores[best] / total, 4) if total else None)
