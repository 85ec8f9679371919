"""The text-only set: today's ``benchmarks/pii_benchmark.py`` sentences (its own generator,
read from the lydspor checkout), clean and with ASR noise added here.

ASR noise (applied to planted numbers only; distractors get the time/price noise): digit
groups re-cut and written with Whisper's leading dash ("412 -34567"), one digit dropped from
long numbers (Whisper loses digits: the card "411 -1111 -111111"), full stops inside groups
("912.34.567"), written digits mixed with words; e-mail addresses as Whisper writes them
spelled ("o .nordman at xample .com"); times written "8 .45".
"""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from dataclasses import dataclass

from benchmarks.pii_spoken.calls import LYDSPOR


@dataclass
class TextCase:
    lang: str
    words: list[str]
    planted: list[tuple[str, int, int]]  # (kind, first, last)
    noisy: bool


def _legacy():
    path = LYDSPOR / "benchmarks" / "pii_benchmark.py"
    if not path.exists():
        raise SystemExit(f"{path} not found")
    spec = importlib.util.spec_from_file_location("legacy_pii_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def clean_set(n: int, seed: int) -> list[TextCase]:
    legacy = _legacy()
    return [
        TextCase(s.language, list(s.words), [(p.kind, p.first, p.last) for p in s.planted], False)
        for s in legacy.build(n, seed)
    ]


def _noisy_number(words: list[str], rng: random.Random) -> list[str]:
    digits = "".join(c for w in words for c in w if c.isdigit())
    if len(digits) < 6 or len(digits) != sum(len(re.sub(r"\D", "", w)) for w in words):
        return words  # said in words: left as is
    if len(digits) >= 10 and rng.random() < 0.5:  # Whisper drops a digit or three
        cut = rng.randint(3, len(digits) - 2)
        digits = digits[:cut] + digits[cut + rng.choice((1, 1, 3)) :]
    cuts = sorted(rng.sample(range(2, len(digits) - 1), k=min(rng.randint(1, 3), len(digits) - 3)))
    groups, at = [], 0
    for c in [*cuts, len(digits)]:
        groups.append(digits[at:c])
        at = c
    style = rng.choice(("dash", "dash", "dot", "space"))
    if style == "dot":
        out = [".".join(groups)]
    elif style == "dash":
        out = [groups[0]] + ["-" + g for g in groups[1:]]
    else:
        out = groups
    tail = re.sub(r"[\w+-]", "", words[-1][-1:])
    out[-1] += tail
    return out


def _noisy_email(words: list[str], rng: random.Random) -> list[str]:
    if len(words) != 1 or "@" not in words[0]:
        return words
    tail = words[0][-1] if not words[0][-1].isalnum() else ""
    local, domain = words[0].rstrip(".,").split("@")
    at = rng.choice(("at", "krøllalfa")) if rng.random() < 0.5 else "at"
    local_parts = local.split(".")
    out = [local_parts[0]] + ["." + p for p in local_parts[1:]] + [at]
    labels = domain.split(".")
    out += [labels[0]] + ["." + p for p in labels[1:]]
    out[-1] += tail
    return out


def noisy_set(cases: list[TextCase], seed: int) -> list[TextCase]:
    rng = random.Random(seed)
    out = []
    for case in cases:
        words: list[str] = []
        planted, done = [], 0
        for kind, first, last in sorted(case.planted, key=lambda p: p[1]):
            words += [t for w in case.words[done:first] for t in _noisy_time(w, rng)]
            said = case.words[first : last + 1]
            said = _noisy_email(said, rng) if kind == "email" else _noisy_number(said, rng)
            planted.append((kind, len(words), len(words) + len(said) - 1))
            words += said
            done = last + 1
        words += [t for w in case.words[done:] for t in _noisy_time(w, rng)]
        out.append(TextCase(case.lang, words, planted, True))
    return out


def _noisy_time(word: str, rng: random.Random) -> list[str]:
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})([.,]?)", word)
    if match and rng.random() < 0.5:
        return [match.group(1), f".{match.group(2)}{match.group(3)}"]
    return [word]
