"""Natural-style mono calls assembled from real single-speaker speech, with known turns.

Independent of the isolator by construction: this module uses numpy, scipy and soundfile only
(its own energy detector, no model). Each voice's recordings are cut into utterances where the
signal stands clear of that recording's noise floor; a call alternates an agent and a customer
voice with fast turn-taking: gaps of 0.05-0.5 s, a share of turns that start before the previous
one ends (overlap up to 0.4 s), and short interjections (0.3-0.9 s cut from the other voice's
utterances, "yes", "mm" stand-ins) dropped into the current speaker's turn or the pause after it.
The agent's first utterances (at least ``ENROL_S`` seconds) are kept out of the call for
enrolment. Phone-band versions are the same call low-passed and stored at 8 kHz.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import gcd

import numpy as np

from isolation_data.scoring import AGENT, ScoredCall, Turn

RATE = 16_000
ENROL_S = 6.0
_HOP = 160  # 10 ms


@dataclass
class Voice:
    name: str
    utterances: list[np.ndarray]  # 16 kHz float32, each trimmed to speech
    narrowband: bool  # recorded at 8 kHz
    source: str
    pool: str = "dev"

    @property
    def seconds(self) -> float:
        return sum(u.size for u in self.utterances) / RATE


def to16k(x: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import resample_poly

    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if rate != RATE:
        g = gcd(RATE, rate)
        x = resample_poly(x, RATE // g, rate // g)
    return x.astype(np.float32)


def utterances(
    x: np.ndarray, min_s: float = 0.3, max_s: float = 6.0, levels: tuple[float, float] | None = None
) -> list[np.ndarray]:
    """Stretches of ``x`` (16 kHz) well above its noise floor, pauses under 0.2 s bridged,
    cut to at most ``max_s`` seconds at the quietest frame near the limit."""
    n = x.size // _HOP
    if n == 0:
        return []
    db = 10 * np.log10((x[: n * _HOP].reshape(n, _HOP).astype(np.float64) ** 2).mean(1) + 1e-12)
    floor, peak = levels if levels is not None else (np.percentile(db, 10), np.percentile(db, 99))
    active = db > max(floor + 15.0, peak - 40.0)
    active = _fill(active, 20)
    out = []
    for a, b in _runs(active):
        a, b = max(0, a - 5), min(n, b + 5)
        while b - a > max_s * 100:
            cut = (
                a
                + int(max_s * 100 * 0.6)
                + int(np.argmin(db[a + int(max_s * 60) : a + int(max_s * 100)]))
            )
            out.append(x[a * _HOP : cut * _HOP])
            a = cut
        if b - a >= min_s * 100:
            out.append(x[a * _HOP : b * _HOP])
    return [u.astype(np.float32) for u in out]


def levels_db(x: np.ndarray) -> tuple[float, float]:
    """A recording's noise floor and peak level (10th and 99th percentile of 10 ms frames, dB)."""
    n = x.size // _HOP
    db = 10 * np.log10((x[: n * _HOP].reshape(n, _HOP).astype(np.float64) ** 2).mean(1) + 1e-12)
    return float(np.percentile(db, 10)), float(np.percentile(db, 99))


def _fill(mask: np.ndarray, gap: int) -> np.ndarray:
    out = mask.copy()
    runs = _runs(mask)
    for (_, e), (s, _) in itertools.pairwise(runs):
        if s - e <= gap:
            out[e:s] = True
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _level(x: np.ndarray, rms: float) -> np.ndarray:
    return (x * (rms / max(float(np.sqrt(np.mean(x**2))), 1e-9))).astype(np.float32)


def _fade(x: np.ndarray, ms: float = 20) -> np.ndarray:
    n = min(int(ms / 1000 * RATE), x.size // 2)
    if n:
        ramp = np.linspace(0, 1, n, dtype=np.float32)
        x = x.copy()
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def assemble(
    name: str,
    agent: Voice,
    customer: Voice,
    seed: int,
    length_s: float = 60.0,
    phone_band: bool = False,
    split: str = "test",
) -> ScoredCall | None:
    rng = np.random.default_rng(seed)
    enrol, rest, got = [], [], 0.0
    for u in agent.utterances:
        if got < ENROL_S:
            enrol.append(u)
            got += u.size / RATE
        else:
            rest.append(u)
    if got < ENROL_S or sum(u.size for u in rest) / RATE < 6.0 or customer.seconds < 5.0:
        return None
    pools = {AGENT: list(rest), "customer": list(customer.utterances)}
    gains = {AGENT: 0.1, "customer": 0.1 * 10 ** (rng.uniform(-5, 5) / 20)}
    parts: list[tuple[str, float, np.ndarray]] = []  # (speaker, start s, audio)
    t, speaker = 0.3, AGENT if rng.random() < 0.5 else "customer"
    used = {AGENT: 0, "customer": 0}
    while t < length_s:
        pool = pools[speaker]
        turn_len = rng.choice([1, 1, 2, 3])
        for _ in range(turn_len):
            clip = _level(pool[used[speaker] % len(pool)], gains[speaker])
            used[speaker] += 1
            parts.append((speaker, t, clip))
            t += clip.size / RATE + rng.uniform(0.05, 0.3)
        end = t
        listener = "customer" if speaker == AGENT else AGENT
        if rng.random() < 0.4:  # an interjection from the listener, in the turn or just after
            src = pools[listener][int(rng.integers(len(pools[listener])))]
            short = _fade(_level(src[: int(rng.uniform(0.3, 0.9) * RATE)], gains[listener]))
            at = rng.uniform(max(0.0, end - 2.0), end + 0.2)
            parts.append((listener, at, short))
            end = max(end, at + short.size / RATE)
        # 30 % of the next turns start before this one ends.
        overlaps = rng.random() < 0.3
        t = end - rng.uniform(0.1, 0.4) if overlaps else end + rng.uniform(0.05, 0.5)
        speaker = listener
    total = int((max(s + a.size / RATE for _, s, a in parts) + 0.3) * RATE)
    mix = np.zeros(total, dtype=np.float32)
    turns = []
    for who, start, clip in parts:
        a = int(start * RATE)
        mix[a : a + clip.size] += clip
        turns.append(
            Turn(AGENT if who == AGENT else customer.name, a / RATE, (a + clip.size) / RATE)
        )
    mix += rng.normal(0, 1e-3, mix.size).astype(np.float32)
    rate = RATE
    if phone_band:
        from scipy.signal import resample_poly

        mix = resample_poly(mix, 1, 2).astype(np.float32)
        rate = 8000
    mix /= max(1.0, float(np.abs(mix).max()) / 0.95)
    enrolment = np.concatenate(
        [np.concatenate([u, np.zeros(RATE // 4, np.float32)]) for u in enrol]
    )
    return ScoredCall(
        name=name,
        samples=mix,
        rate=rate,
        turns=sorted(turns, key=lambda x: x.start),
        enrolment=enrolment,
        enrolment_rate=RATE,
        split=split,
        source=f"{agent.source} + {customer.source}",
        notes=f"agent {agent.name}, customer {customer.name}, seed {seed}"
        + (", 8 kHz phone band" if phone_band else ""),
    )
