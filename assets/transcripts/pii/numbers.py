"""Runs to spans: the personal numbers in a transcript, each run of number words read in
every way and the reading that explains most words with valid numbers kept.

Precision comes first: a run must be used up entirely by accepted numbers (a phone number is not
cut out of a longer order number), and words around the run can veto it ("ordrenummer" before,
"kroner" after).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assets.transcripts.engines import Word
from assets.transcripts.pii.classify import Context, classify_digits, cue_miss, foreign
from assets.transcripts.pii.context import cue_before
from assets.transcripts.pii.lexicon import LEXICONS
from assets.transcripts.pii.reader import Item, readings
from assets.transcripts.pii.spans import Found
from assets.transcripts.pii.tokens import atom_runs, strip_word
from assets.transcripts.pii.validators import MAX_DIGITS


def _partition(
    items: Sequence[Item], classify: Callable[[Sequence[Item]], tuple[str, str] | None]
) -> list[Found]:
    """Cover the items entirely with as few valid numbers as possible, or find nothing.

    A phone number cut out of a longer digit string is far more often part of an order or
    account number than a real phone number, so leftovers are not allowed, except one weak
    word ("en", "one", "oh") at either end.
    """
    n = len(items)
    valid: dict[tuple[int, int], tuple[str, str]] = {}
    for i in range(n):
        for j in range(i, n):
            if j > i and items[j].plus:
                break
            width = sum(len(item.digits) for item in items[i : j + 1])
            if width > MAX_DIGITS:
                break
            if width >= 8 and (kind := classify(items[i : j + 1])):
                valid[(i, j)] = kind
    if not valid:
        return []
    # A leading "en"/"oh" is an article or an interjection only before a pause or written
    # digits ("Oh, 07400 123456"); next to more number words it is one of the number's digits.
    shed_first = items[0].weak and n > 1 and (items[0].pause or items[1].raw != "")
    # Likewise at the end: "91234567 en gang til", "..., 67, one more time".
    shed_last = items[-1].weak and n > 1 and (items[-2].pause or items[-2].raw != "")
    starts = [0, 1] if shed_first else [0]
    ends = [n, n - 1] if shed_last else [n]
    for start, end in sorted(((s, e) for s in starts for e in ends), key=lambda p: p[0] - p[1]):
        if start < end and (cover := _cover(valid, items, start, end)):
            return [
                Found(kind, items[i].first, items[j].last, norm) for (i, j), (kind, norm) in cover
            ]
    return []


def _cover(
    valid: dict[tuple[int, int], tuple[str, str]], items: Sequence[Item], start: int, end: int
) -> list[tuple[tuple[int, int], tuple[str, str]]] | None:
    """Fewest valid stretches that exactly cover items start..end-1 (dynamic programming).

    Two numbers may meet only at a pause (a comma): without one, "55734807 45889171" read
    out in one breath is one long number, not two phone numbers.
    """
    best: dict[int, list[tuple[tuple[int, int], tuple[str, str]]]] = {start: []}
    for j in range(start, end):
        options = [
            best[i] + [((i, j), valid[(i, j)])]
            for i in range(start, j + 1)
            if i in best and (i, j) in valid and (i == start or items[i - 1].pause)
        ]
        if options:
            best[j + 1] = min(options, key=len)
    return best.get(end)


def _with_raw(items: list[Item], words: Sequence[Word]) -> list[Item]:
    """Remember the written form of single-word digit items (for years and CPR shapes)."""
    out = []
    for item in items:
        raw = strip_word(words[item.first].word)[0] if item.first == item.last else ""
        out.append(
            Item(item.digits, item.plus, item.first, item.last, item.weak, item.pause, raw)
            if raw[:1].isdigit()
            else item
        )
    return out


def find_numbers(words: Sequence[Word], language: str, region: str) -> list[Found]:
    lex = LEXICONS[language]
    found: list[Found] = []
    for atoms in atom_runs(words, lex):
        best: list[Found] = []
        best_score: tuple[int, ...] = (0,)
        memo: dict[tuple[object, ...], tuple[str, str] | None] = {}  # readings share stretches
        for reading in readings(atoms, lex):
            result, misfit = _read(reading, words, language, region, memo)
            # Most words explained wins; then the better fit to cue words, checksum and the
            # call's country ("tolv null fire, nitti to ..." in Norwegian is a fødselsnummer
            # before it is a CPR number); ties keep the earlier, more joined reading.
            score = (sum(f.last - f.first + 1 for f in result), *(-m for m in misfit))
            if result and score > best_score:
                best, best_score = result, score
        found.extend(best)
    return found


def _read(
    reading: list[list[Item]],
    words: Sequence[Word],
    language: str,
    region: str,
    memo: dict[tuple[object, ...], tuple[str, str] | None],
) -> tuple[list[Found], tuple[int, int]]:
    """Personal numbers in one reading of a run, and how badly their kinds fit: summed cue
    misses, summed foreign IDs."""
    found: list[Found] = []
    misfit = (0, 0)
    for items in reading:
        items = _with_raw(items, words)
        ctx = Context(language, region, cue_before(words, items[0].first))

        def classify(part: Sequence[Item], ctx: Context = ctx) -> tuple[str, str] | None:
            key = (ctx, *part)
            if key not in memo:
                memo[key] = classify_digits(part, ctx, words)
            return memo[key]

        part = _partition(items, classify)
        for f in part:
            misfit = (
                misfit[0] + cue_miss(f.kind, ctx.cue),
                misfit[1] + foreign(f.kind, language),
            )
        found.extend(part)
    return found, misfit
