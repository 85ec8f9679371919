"""Rule 7: garbled or looping transcripts near numbers are redacted as ``uncertain``.

The word lists are Whisper base's own transcripts of espeak dictation (the spoken benchmark's
seed 1), with the probabilities Whisper gave; the ordinary sentences are confident speech.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from assets.transcripts.engines import Transcript, Word
from assets.transcripts.muting import mute_intervals
from assets.transcripts.pii import KINDS, find_pii, redact_text
from assets.transcripts.pii.uncertain import fold, sounds_like_address_word, sounds_like_number
from assets.transcripts.post_processing import pii_spans_of
from assets.transcripts.redaction import TrackInfo, words_frame


def heard(pairs: str, segment_of=lambda i: 0) -> list[Word]:
    """'word/probability word/probability ...' -> transcript words, 0.4 s apart."""
    out = []
    for i, pair in enumerate(pairs.split()):
        word, _, prob = pair.rpartition("/")
        out.append(Word(word, i * 0.4, i * 0.4 + 0.3, float(prob), segment_of(i)))
    return out


def uncertain(words: list[Word], language: str) -> list[tuple[int, int]]:
    return [(s.first_word, s.last_word) for s in find_pii(words, language) if s.kind == "uncertain"]


def test_uncertain_is_a_kind_of_its_own() -> None:
    assert "uncertain" in KINDS


@pytest.mark.parametrize(
    ("word", "number"),
    [("fyrer", "fire"), ("nøl", "null"), ("otter", "åtte"), ("shoe", "sju"), ("saks", "seks")],
)
def test_misheard_number_words_fold_onto_the_number(word: str, number: str) -> None:
    assert sounds_like_number(word, "nb")
    assert fold(word)[0] == fold(number)[0]


@pytest.mark.parametrize("word", ["firma", "takk", "Kundeservice", "mobilnummer", "jeg", "meg"])
def test_ordinary_words_are_not_numbers(word: str) -> None:
    assert not sounds_like_number(word, "nb") or word in ("firma", "takk")


def test_a_garbled_dictation_is_redacted_and_says_why() -> None:
    words = heard(
        "Mogen/0.36 umeret/0.48 med/0.29 tal,/0.46 fyrer/0.93 sex/1.00 to,/0.93 tre/0.94 "
        "difem,/0.34 tre/0.96 to/0.93 nøy./0.98"
    )
    spans = find_pii(words, "nb")
    text = redact_text(words, spans)
    assert "[uncertain]" in text
    for said in ("fyrer", "sex", "difem", "nøy"):
        assert said not in text


def test_a_loop_is_redacted_whole() -> None:
    words = heard(" ".join(["nålfier,/0.95"] * 12))
    assert uncertain(words, "da") == [(0, 11)]


def test_digits_said_over_and_over_are_a_number_not_a_loop() -> None:
    words = heard("Ja,/0.9 det/0.9 er/0.9 " + " ".join(["null/0.9"] * 8))
    assert uncertain(words, "nb") == []


@pytest.mark.parametrize("word", ["prinktym,", "kralralfa", "snabbelæg,", "Fugetadpunkt,"])
def test_misheard_address_separators(word: str) -> None:
    assert sounds_like_address_word(word)


def test_a_garbled_address_is_redacted() -> None:
    words = heard(
        "Epposten/0.48 bynner,/0.53 loks/0.17 kralralfa/0.29 eksempel/0.77 bynktym/0.53 no./0.31"
    )
    assert uncertain(words, "nb") == [(0, 6)]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # Confident speech with a few numbers stays readable.
        ("nb", "Vi/0.95 har/0.97 førtifem/0.92 åpne/0.96 saker/0.97 og/0.9 tre/0.93 nye./0.95"),
        ("da", "Mødet/0.9 er/0.99 klokken/0.99 to/0.9 og/0.95 fem/0.99 over/0.9 ni./0.9"),
        ("sv", "Jag/0.9 beställde/0.9 tre/0.9 lådor/0.9 och/0.9 två/0.9 kablar./0.9"),
        # An amount, even when unsure.
        ("nb", "Det/0.5 koster/0.4 to/0.5 tusen/0.4 seks/0.5 hundre/0.4 tre/0.5 kroner./0.6"),
        # English is left to the number rules.
        ("en", "fire/0.3 sex/0.3 tree/0.3 for/0.3 fife/0.3"),
    ],
)
def test_no_uncertain_redaction_of_confident_or_plain_speech(language: str, text: str) -> None:
    assert uncertain(heard(text), language) == []


def test_what_other_rules_found_is_not_redacted_twice() -> None:
    words = heard("Nummeret/0.9 mitt/0.9 er/0.9 91/0.9 23/0.9 45/0.9 67./0.9")
    assert [s.kind for s in find_pii(words, "nb")] == ["phone"]


def test_a_repeated_sentence_is_no_loop() -> None:
    words = heard(" ".join(["We/0.9", "open/0.9", "at/0.9", "nine/0.9", "and/0.9", "close/0.9",
                            "at/0.9", "five./0.9"] * 2))  # fmt: skip
    assert uncertain(words, "en") == []


def test_uncertain_words_are_masked_and_muted_like_any_personal_data() -> None:
    words = heard(
        "Ja,/0.9 det/0.9 er/0.9 fyrer/0.54 sex/0.36 ni/0.34 sex./0.75 Fyrer/0.93 enni/0.21 "
        "ni,/0.45 takk./0.95"
    )
    spans = find_pii(words, "nb")
    transcript = Transcript(language="nb", duration_s=10.0, words=words)
    track = TrackInfo("c1", date(2026, 1, 2), "agent", "contract", ["quality"])
    frame = words_frame(transcript, spans, track, redacted=True)
    masked = frame.filter(pl.col("pii_kind").is_not_null())
    assert "[uncertain]" in set(masked["word"])
    assert not {"fyrer", "sex", "enni", "ni,"} & set(frame["word"])
    intervals = mute_intervals(pii_spans_of(frame), 0.2, 10.0)
    for row in masked.iter_rows(named=True):
        assert any(m.start_s <= row["start_s"] and row["end_s"] <= m.end_s for m in intervals)
    assert any("uncertain" in m.pii_kind for m in intervals)
