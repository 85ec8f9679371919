"""Scoring spoken items against the detector's spans and the muted audio.

* **Item words**: transcript words lying at least half inside an item's speech extent,
  other than the words of the sentence's own template (prefix/suffix). An item is
  *recalled* when every item word is inside a redacted span. An item whose digits Whisper
  dropped entirely has no item words: it counts as recalled in text and is listed as
  "dropped"; its audio is still scored below.
* **Precision**: a span is right when it overlaps an item's extent (±0.3 s) or its words.
* **Muting coverage**: share of the item's speech extent inside the muted intervals that
  lydspor's ``muting.mute_intervals`` makes from the spans with the policy padding.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field

_PUNCT = re.compile(r"^[^\w@+]+|[^\w]+$")


def norm(word: str) -> str:
    return _PUNCT.sub("", word.strip().lower())


_NUMBER_WORDS = set(
    [
        "zero",
        "oh",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "double",
        "triple",
    ]
)


def numeric(word: str) -> bool:
    w = norm(word)
    return any(c.isdigit() for c in w) or w in _NUMBER_WORDS


@dataclass
class Truth:
    set: str  # "synthetic" or "real"
    source: str  # e.g. "joe", "espeak", "spokenwoz"
    lang: str
    kind: str  # a PII kind, or "neg:<type>"
    intervals: list[tuple[float, float]]
    template: set[str] = field(default_factory=set)
    extent: tuple[float, float] = (0.0, 0.0)  # the whole sentence (negatives: where FPs land)
    label: str = ""
    #: Whether ``intervals`` hold exactly the item's speech (synthetic, framed clips); False
    #: for SpokenWOZ turns, which also hold other words: no audio coverage is scored.
    audio: bool = True
    #: Only digit/number words count as item words (real speech: anything else heard inside
    #: the item is not personal data).
    numbers_only: bool = False
    #: The item's digits or address, to tell whether Whisper heard it at all.
    value: str = ""

    @property
    def negative(self) -> bool:
        return self.kind.startswith("neg:")


@dataclass
class ItemResult:
    truth: Truth
    recalled: bool
    dropped: bool
    coverage: float
    missed_words: list[str]
    said: str
    heard: bool = True  # Whisper wrote at least half of the item's digits (or its name)


@functools.cache
def _vocab(lang: str) -> dict[str, str]:
    """Number word -> digits, from the generator's own tables (never the detector's)."""
    from num2words import num2words

    from benchmarks.pii_spoken.spoken_gen import DIGIT_WORDS, N2W

    out = {w: str(i) for i, w in enumerate(DIGIT_WORDS.get(lang, DIGIT_WORDS["en"]))}
    for n in range(10, 100):
        out[re.sub(r"[\s-]", "", num2words(n, lang=N2W.get(lang, "en")))] = str(n)
    out.update({"oh": "0", "double": "", "dobbel": "", "dubbel": "", "dobbelt": ""})
    return out


def heard(truth: Truth, said_words: list[str]) -> bool:
    if not truth.value:
        return True
    if "@" in truth.value:
        name = truth.value.split("@")[0].split(".")[0]
        return name in "".join(norm(w) for w in said_words)
    vocab = _vocab(truth.lang)
    got = sum(len(re.sub(r"\D", "", w)) or len(vocab.get(norm(w), "")) for w in said_words)
    return got >= len(truth.value) / 2


@dataclass
class SpanResult:
    set: str
    source: str
    lang: str
    kind: str
    right: bool
    text: str
    where: str  # the negative type it fell in, or ""


def _covered(a: float, b: float, intervals) -> float:
    total = 0.0
    for s, e in intervals:
        lo, hi = max(a, s), min(b, e)
        if hi > lo:
            total += hi - lo
    return total


def score_call(words, spans, truths: list[Truth], mute, duration: float):
    """(item results, span results) for one transcribed call."""
    redacted: set[int] = set()
    for s in spans:
        redacted |= set(range(s.first_word, s.last_word + 1))
    muted = [(m.start_s, m.end_s) for m in mute]
    items: list[ItemResult] = []
    item_words: dict[int, set[int]] = defaultdict(set)
    for t_index, truth in enumerate(truths):
        if truth.negative:
            continue
        mine = set()
        for i, w in enumerate(words):
            length = max(w.end - w.start, 1e-3)
            inside = sum(max(0.0, min(w.end, b) - max(w.start, a)) for a, b in truth.intervals)
            other = not norm(w.word) or norm(w.word) in truth.template
            if inside / length >= 0.5 and not other and (not truth.numbers_only or numeric(w.word)):
                mine.add(i)
        item_words[t_index] = mine
        total = sum(b - a for a, b in truth.intervals)
        cover = sum(_covered(a, b, muted) for a, b in truth.intervals) / total if total else 1.0
        cover = cover if truth.audio else float("nan")
        said = " ".join(words[i].word for i in sorted(mine))
        items.append(ItemResult(truth, mine <= redacted, not mine, cover,
                                [words[i].word for i in sorted(mine - redacted)], said,
                                heard(truth, [words[i].word for i in sorted(mine)])))  # fmt: skip
    results: list[SpanResult] = []
    for s in spans:
        right, where = False, ""
        for t_index, truth in enumerate(truths):
            if truth.negative:
                continue
            near = any(s.start < b + 0.3 and s.end > a - 0.3 for a, b in truth.intervals)
            if near or set(range(s.first_word, s.last_word + 1)) & item_words[t_index]:
                right = True
                break
        if not right:
            for truth in truths:
                if truth.extent[0] - 0.3 < s.end and s.start < truth.extent[1] + 0.3:
                    where = truth.kind
                    break
        src = truths[0] if truths else None
        results.append(SpanResult(src.set if src else "", src.source if src else "",
                                  src.lang if src else "", s.kind, right, s.text,
                                  where))  # fmt: skip
    return items, results


def table(items: list[ItemResult], spans: list[SpanResult], key) -> list[str]:
    """Rows of recall/precision/muting per group ``key(truth-like)``."""
    groups: dict[str, dict[str, list]] = defaultdict(lambda: {"items": [], "spans": []})
    for r in items:
        groups[key(r.truth)]["items"].append(r)
    for s in spans:
        groups[key(s)]["spans"].append(s)
    rows = [f"{'group':22} {'items':>5} {'recall':>7} {'heard':>5} {'rec|heard':>9} "
            f"{'spans':>5} {'precision':>9} {'mute cov':>8} {'full':>5}"]  # fmt: skip
    for name in sorted(groups):
        g = groups[name]
        n = len(g["items"])
        hits = sum(r.recalled for r in g["items"])
        nh = sum(r.heard for r in g["items"])
        hh = sum(r.heard and r.recalled for r in g["items"])
        ns = len(g["spans"])
        right = sum(s.right for s in g["spans"])
        scored = [r.coverage for r in g["items"] if r.coverage == r.coverage]
        cov = sum(scored) / len(scored) if scored else float("nan")
        full = sum(c >= 0.999 for c in scored)
        rec = f"{hits / n:7.3f}" if n else f"{'-':>7}"
        prec = f"{right / ns:9.3f}" if ns else f"{'-':>9}"
        rec_h = f"{hh / nh:9.3f}" if nh else f"{'-':>9}"
        rows.append(f"{name:22} {n:5d} {rec} {nh:5d} {rec_h} {ns:5d} {prec} "
                    f"{cov:8.3f} {full:5d}")  # fmt: skip
    return rows
