"""Scoring as ``benchmarks/isolation_benchmark.py`` defines it, on a 10 ms grid.

Speech is any time inside a turn. Where anyone but the agent speaks, even over the agent, the
right label is "other" (that audio must not be kept); where only the agent speaks, "agent".
Leak: customer speech inside the kept audio; lost: agent-only speech missing from it. A call sent
to review keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GRID_S = 0.01
AGENT = "agent"


@dataclass(frozen=True)
class Turn:
    speaker: str  # "agent" or anyone else's name
    start: float
    end: float


@dataclass
class ScoredCall:
    """One mono call to isolate, with who spoke when and the agent's enrolment audio."""

    name: str
    samples: np.ndarray  # mono float32
    rate: int
    turns: list[Turn]
    enrolment: np.ndarray
    enrolment_rate: int
    source: str
    split: str = "test"
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.samples.size / self.rate


def grid(turns, duration: float) -> tuple[np.ndarray, np.ndarray]:
    n = int(np.ceil(duration / GRID_S)) + 1
    agent, other = np.zeros(n, bool), np.zeros(n, bool)
    for t in turns:
        target = agent if t.speaker == AGENT else other
        target[int(t.start / GRID_S) : int(t.end / GRID_S)] = True
    return agent, other


def kept_grid(kept_spans, duration: float) -> np.ndarray:
    kept = np.zeros(int(np.ceil(duration / GRID_S)) + 1, bool)
    for a, b in kept_spans:
        kept[int(a / GRID_S) : int(b / GRID_S)] = True
    return kept


def score(turns, duration: float, kept_spans) -> dict[str, float]:
    agent, other = grid(turns, duration)
    kept = kept_grid(kept_spans, duration)
    agent_only = agent & ~other
    speech = agent | other
    right = (agent_only & kept) | (other & ~kept)
    return {
        "speech_s": speech.sum() * GRID_S,
        "right_s": right[speech].sum() * GRID_S,
        "other_s": other.sum() * GRID_S,
        "leak_s": (other & kept).sum() * GRID_S,
        "agent_s": agent_only.sum() * GRID_S,
        "lost_s": (agent_only & ~kept).sum() * GRID_S,
    }


def percentages(s: dict[str, float]) -> dict[str, float]:
    return {
        "right": 100 * s["right_s"] / max(s["speech_s"], 1e-9),
        "leak": 100 * s["leak_s"] / max(s["other_s"], 1e-9),
        "lost": 100 * s["lost_s"] / max(s["agent_s"], 1e-9),
    }


def meets_targets(p: dict[str, float]) -> bool:
    return p["right"] >= 98.0 and p["leak"] < 1.0 and p["lost"] < 3.0


@dataclass
class Sums:
    """Scored seconds (``score``'s keys), wall time and audio length summed over calls."""

    seconds: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0
    audio: float = 0.0

    def add_seconds(self, s: dict[str, float], wall: float, length: float) -> None:
        for k, v in s.items():
            self.seconds[k] = self.seconds.get(k, 0.0) + v
        self.wall += wall
        self.audio += length


@dataclass
class Tally(Sums):
    calls: int = 0
    review: int = 0
    passed_leaky: int = 0  # passed (not review) with leak >= 1 %
    passed_missing: int = 0  # passed with right < 98 % or lost >= 3 % (no leak)

    def add(self, s: dict[str, float], wall: float, length: float, review: bool) -> None:
        self.add_seconds(s, wall, length)
        self.calls += 1
        self.review += int(review)
        if not review:
            p = percentages(s)
            self.passed_leaky += int(p["leak"] >= 1.0)
            self.passed_missing += int(p["leak"] < 1.0 and not meets_targets(p))
