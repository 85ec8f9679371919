"""The second listen after cue words (an experiment of the spoken PII benchmark, not in the
pipeline): which windows are heard again, what is spliced, and that the pipeline's own
redaction and muting then cover the number. The engine is a recorded decode here (what it
returns for a window is given); the benchmark measures the real one."""

from __future__ import annotations

import numpy as np

from assets.transcripts.engines import Transcript, Word
from assets.transcripts.pii import find_pii, mute_spans
from benchmarks.pii_spoken.second_listen import PROMPTS, WINDOW_S, cue_windows, second_listen

RATE = 16_000


def timed(text: str, start: float = 0.0, step: float = 0.5) -> list[Word]:
    return [
        Word(w, round(start + i * step, 3), round(start + i * step + 0.4, 3), 0.9, 0)
        for i, w in enumerate(text.split())
    ]


class Recorded:
    """A decode that returns ``text`` (times from the window's start) and records its calls."""

    def __init__(self, text: str) -> None:
        self.text, self.calls = text, []

    def __call__(self, window: np.ndarray, language: str, prompt: str) -> list[Word]:
        self.calls.append((window.size / RATE, language, prompt))
        return timed(self.text, 0.1)


def transcript(words: list[Word], language: str, duration: float = 30.0) -> Transcript:
    return Transcript(language, duration, words)


def audio(duration: float = 30.0) -> np.ndarray:
    return np.zeros(round(duration * RATE), dtype=np.float32)


def test_a_number_heard_as_words_after_a_cue_is_redacted_and_muted():
    # "nio två ett noll ..." heard by the first pass as ordinary Swedish.
    first = (
        timed("Mitt telefonnummer")
        + timed("är Ni har två att nå.", start=1.0, step=0.9)
        + timed("Tack så mycket.", start=7.0)
    )
    assert [s.kind for s in find_pii(first, "sv") if s.kind != "uncertain"] == []
    decode = Recorded("är 0 7 0 9 2 1 0 4 5 6.")
    heard, windows, spliced = second_listen(transcript(first, "sv"), audio(), decode)
    assert (windows, spliced) == (1, 1)
    assert decode.calls == [(WINDOW_S, "sv", PROMPTS["sv"])]
    spans = [s for s in find_pii(heard.words, "sv") if s.kind != "uncertain"]
    assert [s.kind for s in spans] == ["phone"]
    # The words after the number are the first pass's, untouched.
    assert [w.word for w in heard.words[-3:]] == ["Tack", "så", "mycket."]
    # The muted interval starts at the cue's end and covers the re-heard digits.
    cue_end = first[1].end
    (start, end, kind), *_ = mute_spans(spans, heard.words)
    assert kind == "phone" and start <= cue_end + 0.6 and end >= cue_end + 0.1 + 10 * 0.5


def test_ordinary_words_on_the_second_hearing_change_nothing():
    first = timed("Kan du gi meg telefonnummeret ditt? Ja, et øyeblikk, jeg må finne det.")
    decode = Recorded("Ja, et øyeblikk, jeg må finne det.")
    heard, windows, spliced = second_listen(transcript(first, "nb"), audio(), decode)
    assert (windows, spliced) == (1, 0)
    assert heard.words == first


def test_speech_without_a_cue_is_never_heard_again():
    first = timed("Hei, du snakker med Kari. Hva kan jeg hjelpe deg med i dag? Ni har to att nå.")
    decode = Recorded("9 1 2 3 4 5 6 7")
    heard, windows, spliced = second_listen(transcript(first, "nb"), audio(), decode)
    assert (windows, spliced, decode.calls) == (0, 0, [])
    assert heard.words == first


def test_a_cue_whose_number_was_found_is_not_heard_again():
    first = timed("Mobilnummeret mitt er 912 34 567, takk.")
    assert cue_windows(first, "nb", 30.0) == []
    decode = Recorded("912 34 567")
    assert second_listen(transcript(first, "nb"), audio(), decode)[1:] == (0, 0)


def test_the_window_is_bounded_by_the_recording_and_cues_inside_it_share_it():
    first = timed("Kortnummeret er fire fem ... og kontonummeret er", start=24.0, step=0.4)
    decode = Recorded("nei")
    duration = 28.0
    _, windows, _ = second_listen(transcript(first, "nb", duration), audio(duration), decode)
    assert windows == 1
    assert abs(decode.calls[0][0] - (duration - first[0].end)) < 1e-3


def test_a_language_without_a_prompt_is_left_as_it_was():
    first = timed("Mitt telefonnummer är Ni har två att nå.")
    decode = Recorded("0 7 0 9 2 1 0 4 5 6")
    heard, windows, _ = second_listen(transcript(first, "fi"), audio(), decode)
    assert (heard.words, windows, decode.calls) == (first, 0, [])


def test_a_decoder_loop_is_cut_and_the_words_after_it_are_kept():
    first = (
        timed("Kontonummeret mitt er")
        + timed("Fira tå fæm firra nå løkksy", start=1.5, step=0.9)
        + timed("Takk for hjelpen.", start=8.0)
    )
    decode = Recorded("4 2 5 4 0 7 4 2 2 5 6 " + "1111 " * 12)
    heard, _, spliced = second_listen(transcript(first, "nb"), audio(), decode)
    assert spliced == 1
    texts = [w.word for w in heard.words]
    assert texts.count("1111") == 0 and texts[-3:] == ["Takk", "for", "hjelpen."]
    spans = [s for s in find_pii(heard.words, "nb") if s.kind != "uncertain"]
    assert [s.kind for s in spans] == ["account"]
