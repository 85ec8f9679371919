"""Agent isolation on generated mono calls with known turns; prints the figures.

    uv run python benchmarks/isolation_benchmark.py            # all cases, about 2 min each
    uv run python benchmarks/isolation_benchmark.py --quick    # short calls
    uv run python benchmarks/isolation_benchmark.py --long     # adds a 30-minute call

Scoring, on a 10 ms grid: speech is any time inside a turn. Where the customer (anyone but the
agent) speaks, even over the agent, the right label is "other": that audio must not be kept.
Where only the agent speaks, the right label is "agent". Leakage is customer speech inside the
agent audio; agent loss is agent-only speech missing from it. RTF is isolation wall time over
call length; the model is loaded, and run once on a throwaway call, before timing (the
pipeline shares one loaded encoder across calls, so torch's first-call warm-up is not a
per-call cost). Torch runs on 2 threads.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from assets.agent_audio.embeddings import shared_encoder
from assets.agent_audio.isolation import AGENT, isolate
from assets.agent_audio.voiceprint import enrol
from assets.recordings.samples.mono_calls import MonoCall, MonoCase, render_mono_call
from assets.recordings.samples.tts import VoiceSpec

GRID_S = 0.01

CASES = (
    MonoCase("distinct voices", VoiceSpec("f2", pitch=50), (VoiceSpec("m3", pitch=42, rate=165),)),
    MonoCase(
        "same sex and accent",
        VoiceSpec("m3", pitch=45),
        (VoiceSpec("m1", pitch=48, rate=165),),
        seed=2,
    ),
    MonoCase(
        "same sex, female",
        VoiceSpec("f2", pitch=50),
        (VoiceSpec("f4", pitch=55, rate=165),),
        seed=3,
    ),
    MonoCase(
        "overlapping speech",
        VoiceSpec("m6", pitch=40),
        (VoiceSpec("f3", pitch=52, rate=165),),
        overlap_s=0.5,
        seed=4,
    ),
    MonoCase(
        "8 kHz telephone band",
        VoiceSpec("m3", pitch=45),
        (VoiceSpec("m1", pitch=48, rate=165),),
        rate=8000,
        seed=5,
    ),
    MonoCase(
        "background noise 15 dB",
        VoiceSpec("f5", pitch=50),
        (VoiceSpec("m7", pitch=34, rate=165),),
        snr_db=15.0,
        seed=6,
    ),
    MonoCase(
        "three speakers",
        VoiceSpec("m6", pitch=40),
        (VoiceSpec("f3", pitch=52, rate=165), VoiceSpec("m2", pitch=30, rate=165)),
        seed=7,
    ),
    MonoCase(
        "Norwegian",
        VoiceSpec("m6", pitch=40),
        (VoiceSpec("m2", pitch=30, rate=165),),
        language="nb",
        seed=8,
    ),
)
LONG = MonoCase(
    "30-minute call, same sex",
    VoiceSpec("m3", pitch=45),
    (VoiceSpec("m1", pitch=48, rate=165),),
    turns=560,
    seed=9,
)


def score(call: MonoCall, segments) -> dict[str, float]:
    n = int(np.ceil(call.samples.size / call.rate / GRID_S)) + 1
    agent, other, kept = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    for turn in call.turns:
        target = agent if turn.speaker == AGENT else other
        target[int(turn.start / GRID_S) : int(turn.end / GRID_S)] = True
    for seg in segments:
        if seg.role == AGENT:
            kept[int(seg.start / GRID_S) : int(seg.end / GRID_S)] = True
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short calls (about 50 s each)")
    parser.add_argument("--long", action="store_true", help="add the 30-minute call")
    args = parser.parse_args()
    cases = [c if args.quick else replace(c, turns=36) for c in CASES]
    if args.long:
        cases.append(LONG)

    started = time.perf_counter()
    encoder = shared_encoder(threads=2)
    print(f"model loaded in {time.perf_counter() - started:.1f} s (CPU, 2 torch threads)")
    # Untimed warm-up: torch's first calls set up its kernels, a cost the pipeline pays once.
    warm = render_mono_call(replace(cases[0], turns=4))
    warm_print = enrol(warm.enrolment, warm.enrolment_rate, encoder).embedding
    isolate(warm.samples, warm.rate, warm_print, encoder)
    header = f"{'case':28} {'len s':>6} {'spk':>3} {'conf':>5} {'right %':>8} "
    header += f"{'leak s':>7} {'leak %':>7} {'lost %':>7} {'RTF':>6} {'CPU RTF':>7}"
    print(header)
    totals: dict[str, float] = {}
    wall_total = cpu_total = audio_total = 0.0
    for case in cases:
        call = render_mono_call(case)
        voiceprint = enrol(call.enrolment, call.enrolment_rate, encoder).embedding
        wall, cpu = time.perf_counter(), time.process_time()
        result = isolate(call.samples, call.rate, voiceprint, encoder)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        length = call.samples.size / call.rate
        s = score(call, result.segments)
        for key, value in s.items():
            totals[key] = totals.get(key, 0.0) + value
        wall_total, cpu_total, audio_total = (
            wall_total + wall,
            cpu_total + cpu,
            audio_total + length,
        )
        print(
            f"{case.name:28} {length:6.0f} {result.speakers:3d} {result.confidence:5.2f} "
            f"{100 * s['right_s'] / s['speech_s']:8.2f} {s['leak_s']:7.2f} "
            f"{100 * s['leak_s'] / s['other_s']:7.2f} {100 * s['lost_s'] / s['agent_s']:7.2f} "
            f"{wall / length:6.3f} {cpu / length:7.3f}"
        )
    print(
        f"{'ALL':28} {audio_total:6.0f} {'':3} {'':5} "
        f"{100 * totals['right_s'] / totals['speech_s']:8.2f} {totals['leak_s']:7.2f} "
        f"{100 * totals['leak_s'] / totals['other_s']:7.2f} "
        f"{100 * totals['lost_s'] / totals['agent_s']:7.2f} "
        f"{wall_total / audio_total:6.3f} {cpu_total / audio_total:7.3f}"
    )
    print("targets: right >= 98 %, leak < 1 %, lost < 3 %, RTF <= 0.05 on 2 cores")


if __name__ == "__main__":
    main()
