"""``find_pii``: numbers and e-mail addresses in a transcript's words, recall first.

Steps: tokenize every word (:mod:`.tokens`), cut number runs (:mod:`.runs`), join runs
dictated in pieces (below), decide each with the rule set (:mod:`.rules`), find e-mail
addresses (:mod:`.emails`), redact unreadable tails after cue words (:mod:`.tail`) and
garbled or looping stretches (:mod:`.uncertain`), and return non-overlapping spans in word order.

**Pieces of one number** ("my ID number is 1734, | 1256, and | 7299, and the last one, | 1778")
are joined when only bridge words ("and", "og", "ok", "the last one"), hesitations or a
sentence end lie between them, they are at most ``JOIN_GAP_S`` apart, each has two or more
digits (a lone digit right after, with no word between, joins too: "... 0648. 8."), none is
an amount/time/year list, and either a positive cue precedes the first or both have three
or more digits. The joined number is decided as one; each piece becomes its
own span (bridge words stay readable, and only the pieces' audio is muted).
"""

from __future__ import annotations

from collections.abc import Sequence

from assets.transcripts.pii import rules
from assets.transcripts.pii.emails import find_emails
from assets.transcripts.pii.lexicon import lexicon_for
from assets.transcripts.pii.runs import Run, build_runs
from assets.transcripts.pii.spans import PiiSpan, WordLike
from assets.transcripts.pii.tail import cue_tails
from assets.transcripts.pii.tokens import BRIDGE, FILLER, NUM, OTHER, Tok, tokenize
from assets.transcripts.pii.uncertain import UNCERTAIN, uncertain_stretches
from assets.transcripts.pii.validate import PHONE_REGION, region_info

#: Longest silence (s) between two pieces of one dictated number.
JOIN_GAP_S = 10.0
#: Most bridge words between two pieces.
MAX_BRIDGE_WORDS = 4


def _between_ok(toks: Sequence[Tok], a: Run, b: Run) -> bool:
    between = toks[a.last + 1 : b.first]
    if len(between) > MAX_BRIDGE_WORDS:
        return False
    if (len(between) == 1 and between[0].kind == OTHER and len(between[0].raw) <= 3
            and len(a.digits) >= 3 and len(b.digits) >= 3
            and not a.toks[-1].stop and not between[0].stop):  # fmt: skip
        return True  # one short misheard word inside a dictation ("sex to tre, de fem tre to")
    return all(
        t.kind in (BRIDGE, FILLER) or (t.kind == NUM and t.weak) or
        (t.kind == NUM and len(t.atoms) == 1 and t.atoms[0].kind == "and")
        for t in between
    )  # fmt: skip


def _join(runs: list[Run], toks: Sequence[Tok], words: Sequence[WordLike],
          texts: Sequence[str], numbers: frozenset[int]) -> list[list[Run]]:  # fmt: skip
    """Runs grouped into dictated numbers (most groups have one run)."""
    chains: list[list[Run]] = []
    for run in runs:
        if chains:
            chain = chains[-1]
            prev = chain[-1]
            gap = words[run.first].start - words[prev.last].end
            between = toks[prev.last + 1 : run.first]
            ok = (
                gap <= JOIN_GAP_S
                and _between_ok(toks, prev, run)
                and len(prev.digits) >= 2
                and rules.excluded(prev, toks, texts) is None
                and (len(run.digits) >= 2 or not between)
                and (len(run.digits) < 2 or rules.excluded(run, toks, texts) is None)
            )
            if ok:
                cue = rules.cue_for(texts, chain[0].first, chain[0].last, numbers)
                cued = cue is not None and cue != rules.NEGATIVE
                if cued or (len(prev.digits) >= 3 and len(run.digits) >= 3):
                    chain.append(run)
                    continue
        chains.append([run])
    return chains


def _merged(chain: list[Run]) -> Run:
    if len(chain) == 1:
        return chain[0]
    merged = Run([t for run in chain for t in run.toks])
    merged.groups = [g for run in chain for g in run.groups]
    return merged


def find_pii(
    words: Sequence[WordLike], language: str, *, default_region: str | None = None
) -> list[PiiSpan]:
    """Personal data in a transcript's words: non-overlapping spans in word order.

    ``language`` is the transcript's ("nb", "nn", "da", "sv", "en"); it picks the number
    words and the phone region (NO, DK, SE, GB) unless ``default_region`` names another.
    """
    lexicon_for(language)
    region = (default_region or PHONE_REGION.get(language, "NO")).upper()
    region_info(region)  # fail early on an unknown region
    texts = [w.word for w in words]
    spans: list[PiiSpan] = []
    taken: set[int] = set()
    for email in find_emails(texts, language):
        covered = set(range(email.first, email.last + 1))
        if covered & taken:
            continue
        taken |= covered
        spans.append(_span(words, "email", email.first, email.last, email.address, "email", 0))
    toks = [tokenize(t, i, language) for i, t in enumerate(texts)]
    starts = [w.start for w in words]
    ends = [w.end for w in words]
    runs = [r for r in build_runs(toks, starts, ends, language) if r.first not in taken]
    numbers = frozenset(
        t.index
        for t in toks
        if t.kind == NUM and not t.weak and any(a.kind != "and" for a in t.atoms)
    )
    for group, chain in enumerate(_join(runs, toks, words, texts, numbers), start=1):
        run = _merged(chain)
        cue = rules.cue_for(texts, chain[0].first, chain[-1].last, numbers)
        why_not = rules.excluded(run, toks, texts) if len(chain) == 1 else None
        decision = rules.decide(run, cue, why_not, language, region)
        if decision is None:
            continue
        for piece in chain:
            _absorb_letters(piece, toks)
            covered = set(range(piece.first, piece.last + 1))
            if covered & taken:
                continue
            taken |= covered
            spans.append(_span(words, decision.kind, piece.first, piece.last,
                               decision.normalized, decision.rule, group))  # fmt: skip
    for kind, first, last in cue_tails(words, taken, language):
        taken |= set(range(first, last + 1))
        spans.append(_span(words, kind, first, last, "", "cue-tail", 0))
    for first, last in uncertain_stretches(words, taken, language):
        taken |= set(range(first, last + 1))
        spans.append(_span(words, UNCERTAIN, first, last, "", UNCERTAIN, 0))
    return sorted(spans, key=lambda s: s.first_word)


def _absorb_letters(run: Run, toks: Sequence[Tok]) -> None:
    """A lone letter Whisper writes right after a dictated number ("... 00 55 X") joins it."""
    nxt = run.last + 1
    if (
        nxt < len(toks)
        and toks[nxt].kind == OTHER
        and len(toks[nxt].raw) == 1
        and toks[nxt].raw.isalpha()
        and toks[nxt].raw not in "iaåeoy"  # words: "I", "a", "å", "e"
        and not toks[run.last].stop
    ):
        run.toks.append(toks[nxt])
        run.groups[-1].last = nxt


def _span(words: Sequence[WordLike], kind: str, first: int, last: int, normalized: str,
          rule: str, group: int) -> PiiSpan:  # fmt: skip
    return PiiSpan(
        kind=kind,
        first_word=first,
        last_word=last,
        start=words[first].start,
        end=words[last].end,
        text=" ".join(w.word for w in words[first : last + 1]),
        normalized=normalized,
        rule=rule,
        group=group,
    )
