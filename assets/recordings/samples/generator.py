"""Generate a deterministic set of sample calls with synthetic speech, laid out as a dialer drop.

``out_dir/<YYYY-MM-DD>/<call_id>.wav`` (16 kHz PCM), the call's metadata and
``<call_id>.truth.json`` (every turn of the conversation with its time on the recording's
timeline; in ``agent_only`` recordings the customer's turns are listed but silent).

The metadata is lydspor's canonical record, ``<call_id>.json`` (:class:`CallMetadata`), for
most calls; one call of the twelve lands as each supported dialer's own export
(``<call_id>.<dialer>.json``, rendered by that dialer's adapter module) and one in the day's
generic ``manifest.csv``, so a demo ingests every format. Each export reads back, under the
demo tenant's dialer defaults (``data/policies/default.yaml``), as the very record the call
would have had in the canonical format; the generator checks that for every export it writes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import phonenumbers
import soundfile as sf

from assets.common.settings import CALL_TIMEZONE, SHIPPED_POLICY
from assets.recordings.dialers import AdapterDefaults, manifest_csv, parse_manifest
from assets.recordings.dialers.registry import export_call, export_name
from assets.recordings.metadata import (
    CallMetadata,
    ConsentEvent,
    ConsentMechanism,
    Direction,
    RecordingMode,
)
from assets.recordings.samples.audio import normalise, resample, trim
from assets.recordings.samples.scripts import CUSTOMER_NAMES, Line, Script, scripts_for
from assets.recordings.samples.tts import NATIVE_RATE, VoiceSpec, synthesize_isolated
from assets.retention.policy import load_policy

SAMPLE_RATE = 16_000
LIA_REFERENCE = "LIA-2026-01"
CONSENT_PROMPT = "ivr-consent-v3"
CONSENT_PURPOSES = ("quality_assurance", "training")

LEAD_SILENCE_S = 0.5
PAUSE_RANGE_S = (0.3, 0.8)
TAIL_RANGE_S = (0.3, 0.6)
#: Peak level of each utterance; the customer's line is a little quieter than the headset.
AGENT_PEAK = 0.5
CUSTOMER_PEAK = 0.4
#: Line hiss, about -60 dBFS RMS: audible on headphones, far below speech.
NOISE_RMS = 0.001

#: The keys the sample IVR logs (the demo tenant accepts "1").
CONSENT_KEYS = {True: "1", False: "2"}
#: Metadata formats besides the dialer adapters': lydspor's own record and the generic manifest.
CANONICAL, MANIFEST = "canonical", "manifest"
MANIFEST_NAME = "manifest.csv"

Consent = Literal["given", "refused", "none"]
Sex = Literal["female", "male"]
T = TypeVar("T")


@dataclass(frozen=True)
class SampleCall:
    call_id: str
    call_date: date
    audio_path: Path
    #: The file holding the call's metadata, in ``metadata_format``: canonical, a dialer's
    #: name (its export) or manifest (the day's manifest.csv, which lists other calls too).
    metadata_path: Path
    metadata_format: str
    #: The call's record: what ingesting any of the formats yields.
    metadata: CallMetadata
    truth_path: Path
    duration_s: float
    recording_mode: RecordingMode
    direction: Direction
    language: str


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    team: str
    sex: Sex
    voice: VoiceSpec


AGENTS: tuple[Agent, ...] = (
    Agent("agent-ingrid", "Ingrid", "sales-oslo", "female", VoiceSpec("f5", pitch=50, rate=150)),
    Agent("agent-lars", "Lars", "sales-oslo", "male", VoiceSpec("m6", pitch=40, rate=155)),
    Agent("agent-sara", "Sara", "support-bergen", "female", VoiceSpec("f2", pitch=50, rate=155)),
    Agent("agent-emil", "Emil", "support-bergen", "male", VoiceSpec("m8", pitch=40, rate=155)),
)
TEAM_FOR_DIRECTION = {Direction.OUTBOUND: "sales-oslo", Direction.INBOUND: "support-bergen"}

#: Customers always get the other sex than their agent, so the two voices never blur. Pitches
#: stay moderate: Whisper understands espeak's high-pitched variants markedly worse.
CUSTOMER_VOICES: dict[Sex, tuple[VoiceSpec, ...]] = {
    "female": (
        VoiceSpec("f2", pitch=58, rate=165),
        VoiceSpec("f5", pitch=60, rate=165),
        VoiceSpec("f3", pitch=52, rate=165),
    ),
    "male": (
        VoiceSpec("m2", pitch=30, rate=165),
        VoiceSpec("m7", pitch=34, rate=165),
        VoiceSpec("m3", pitch=42, rate=165),
    ),
}


@dataclass(frozen=True)
class _Slot:
    """The shape of one call in the plan; the seed fills in everything else."""

    direction: Direction
    mode: RecordingMode
    language: Literal["en", "nb"]
    consent: Consent | None = None
    agent_channel: int | None = None
    survey: bool = False
    #: The metadata format the call lands in: canonical, a dialer's export, or the manifest.
    export: str = CANONICAL


_OUT, _IN = Direction.OUTBOUND, Direction.INBOUND
_ST, _AO, _MO = RecordingMode.STEREO, RecordingMode.AGENT_ONLY, RecordingMode.MONO

#: Twelve calls covering every direction x mode x consent case the pipeline must handle; the
#: first half lands on the first day, the second half on the next, so each day is mixed.
_PLAN: tuple[_Slot, ...] = (
    _Slot(_OUT, _ST, "en", agent_channel=0, survey=True, export="genesys"),
    _Slot(_IN, _ST, "nb", "given", agent_channel=1, survey=True),
    _Slot(_OUT, _AO, "nb", export="adversus"),
    _Slot(_IN, _ST, "en", "refused", agent_channel=0, export="dialfire"),
    _Slot(_OUT, _MO, "en", survey=True),
    _Slot(_IN, _AO, "nb", "given", survey=True),
    _Slot(_OUT, _ST, "nb", agent_channel=1, export="leaddesk"),
    _Slot(_IN, _ST, "en", "given", agent_channel=0, survey=True, export="leocall"),
    _Slot(_IN, _MO, "nb", "none", export=MANIFEST),
    _Slot(_OUT, _AO, "en", survey=True),
    _Slot(_IN, _AO, "en", "given"),
    _Slot(_OUT, _MO, "nb", survey=True),
)


@dataclass(frozen=True)
class _PlannedCall:
    index: int
    call_id: str
    slot: _Slot
    call_date: date
    started_at: datetime
    agent: Agent
    customer_voice: VoiceSpec
    customer_number: str
    script: Script
    lines: tuple[Line, ...]
    nps: int | None
    consent: ConsentEvent | None


def generate_sample_calls(
    out_dir: Path,
    *,
    seed: int = 7,
    calls: int = 12,
    start_date: date = date(2026, 11, 2),
    days: int = 2,
    dialer_defaults: Callable[[str], AdapterDefaults] | None = None,
) -> list[SampleCall]:
    """Write ``calls`` sample calls spread over ``days`` days; same seed, same bytes.
    ``dialer_defaults`` (default: the shipped demo policy's) are the tenant defaults each
    dialer export is checked against."""
    if calls < 1 or days < 1:
        raise ValueError("calls and days must be at least 1")
    defaults = dialer_defaults or _demo_dialer_defaults()
    planned = _plan(np.random.default_rng(seed), calls, start_date, days)
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        made = list(pool.map(lambda call: _render(Path(out_dir), call, seed, defaults), planned))
    _write_manifests(made, defaults("generic"))
    return made


def _demo_dialer_defaults() -> Callable[[str], AdapterDefaults]:
    return load_policy(SHIPPED_POLICY).dialer_defaults


def _write_manifests(made: Sequence[SampleCall], defaults: AdapterDefaults) -> None:
    """One manifest.csv per day for the calls that land in one (sorted by call id), checked
    to read back as those calls."""
    by_path: dict[Path, list[SampleCall]] = {}
    for call in made:
        if call.metadata_format == MANIFEST:
            by_path.setdefault(call.metadata_path, []).append(call)
    for path, listed in sorted(by_path.items()):
        entries = [(c.audio_path.name, c.metadata) for c in sorted(listed, key=lambda c: c.call_id)]
        data = manifest_csv(entries)
        if parse_manifest(MANIFEST_NAME, data, defaults) != entries:
            raise ValueError(f"{path} does not read back as the calls it lists")
        path.write_bytes(data)


# -- planning -----------------------------------------------------------------------------------


def _plan(rng: np.random.Generator, calls: int, start_date: date, days: int) -> list[_PlannedCall]:
    slots = [_PLAN[i % len(_PLAN)] for i in range(calls)]
    by_day: list[list[_Slot]] = [[] for _ in range(days)]
    for i, slot in enumerate(slots):
        by_day[i * days // calls].append(slot)
    chooser = _Chooser(rng)
    planned: list[_PlannedCall] = []
    for day_index, day_slots in enumerate(by_day):
        day = start_date + timedelta(days=day_index)
        order = rng.permutation(len(day_slots)).tolist()
        starts = _start_times(rng, day, len(day_slots))
        for number, (start, slot_index) in enumerate(zip(starts, order, strict=True), 1):
            call_id = f"call-{day:%Y%m%d}-{number:03d}"
            slot = day_slots[slot_index]
            planned.append(_plan_call(rng, chooser, len(planned), call_id, slot, start))
    return planned


def _start_times(rng: np.random.Generator, day: date, count: int) -> list[datetime]:
    """Business-hours start times in call order, far enough apart that no agent double-books."""
    t = datetime.combine(day, time(8, 0), tzinfo=CALL_TIMEZONE)
    t += timedelta(minutes=int(rng.integers(10, 40)), seconds=int(rng.integers(0, 60)))
    out = []
    for _ in range(count):
        out.append(t)
        gap_s = int(rng.integers(20 * 60, 70 * 60))
        t += timedelta(seconds=gap_s * 6 // max(count, 6))
    return out


class _Chooser:
    """Round-robin choices with seeded starting points, so a small set still varies."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._counters: dict[str, int] = {}

    def pick(self, key: str, options: Sequence[T]) -> T:
        if key not in self._counters:
            self._counters[key] = int(self._rng.integers(0, len(options)))
        value = options[self._counters[key] % len(options)]
        self._counters[key] += 1
        return value


def _plan_call(
    rng: np.random.Generator,
    chooser: _Chooser,
    index: int,
    call_id: str,
    slot: _Slot,
    started_at: datetime,
) -> _PlannedCall:
    team = TEAM_FOR_DIRECTION[slot.direction]
    agent = chooser.pick(team, [a for a in AGENTS if a.team == team])
    other: Sex = "male" if agent.sex == "female" else "female"
    kind = "sales" if slot.direction is Direction.OUTBOUND else "support"
    script = chooser.pick(f"{kind}-{slot.language}", scripts_for(kind, slot.language))
    number = _customer_number(rng, slot.language)
    lines = script.render(
        agent=agent.name,
        customer=chooser.pick(f"name-{slot.language}", CUSTOMER_NAMES[slot.language]),
        phone=spoken_number(number, slot.language),
    )
    return _PlannedCall(
        index=index,
        call_id=call_id,
        slot=slot,
        call_date=started_at.date(),
        started_at=started_at,
        agent=agent,
        customer_voice=chooser.pick(f"voice-{other}", CUSTOMER_VOICES[other]),
        customer_number=number,
        script=script,
        lines=tuple(lines),
        nps=_nps(rng, script.outcome) if slot.survey else None,
        consent=_consent(rng, slot.consent, started_at),
    )


def _customer_number(rng: np.random.Generator, language: str) -> str:
    """A random number that libphonenumber accepts as a mobile: Norwegian, or UK for English."""
    prefix, digits = ("+447", 9) if language == "en" else ("+479", 7)
    while True:
        candidate = prefix + "".join(str(d) for d in rng.integers(0, 10, digits))
        parsed = phonenumbers.parse(candidate)
        if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE:
            return candidate


def spoken_number(e164: str, language: str) -> str:
    """How an agent reads a number back: digit by digit in English, in pairs in Norwegian."""
    national = phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    if language == "en":
        return ", ".join(" ".join(group) for group in national.split())
    return national


def _consent(
    rng: np.random.Generator, consent: Consent | None, started_at: datetime
) -> ConsentEvent | None:
    """What the IVR logged before the agent picked up; outbound calls have no IVR step."""
    if consent is None:
        return None
    if consent == "none":
        return ConsentEvent(mechanism=ConsentMechanism.NONE, given=False)
    given = consent == "given"
    return ConsentEvent(
        mechanism=ConsentMechanism.KEYPRESS,
        given=given,
        at=started_at - timedelta(seconds=int(rng.integers(4, 13))),
        prompt_version=CONSENT_PROMPT,
        purposes=list(CONSENT_PURPOSES) if given else [],
        response=CONSENT_KEYS[given],
    )


def _nps(rng: np.random.Generator, outcome: str) -> int:
    low, high = {"sale": (7, 10), "resolved": (7, 10), "callback": (5, 8)}.get(outcome, (0, 6))
    return int(rng.integers(low, high + 1))


# -- rendering ----------------------------------------------------------------------------------


def _render(
    out_dir: Path,
    call: _PlannedCall,
    seed: int,
    dialer_defaults: Callable[[str], AdapterDefaults],
) -> SampleCall:
    rng = np.random.default_rng([seed, call.index])
    voices = {"agent": call.agent.voice, "customer": call.customer_voice}
    speech = synthesize_isolated(
        [(line.text, call.slot.language, voices[line.speaker]) for line in call.lines]
    )
    agent_track, customer_track, truth = _lay_out(rng, call.lines, speech)
    samples = _mix(rng, call.slot, agent_track, customer_track)
    duration = samples.shape[0] / SAMPLE_RATE
    metadata = _metadata(call, duration)

    folder = out_dir / call.call_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    audio_path = folder / f"{metadata.call_id}.wav"
    truth_path = folder / f"{metadata.call_id}.truth.json"
    sf.write(audio_path, samples, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    metadata_path = _write_metadata(folder, call.slot.export, metadata, dialer_defaults)
    truth_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return SampleCall(
        call_id=metadata.call_id,
        call_date=call.call_date,
        audio_path=audio_path,
        metadata_path=metadata_path,
        metadata_format=call.slot.export,
        metadata=metadata,
        truth_path=truth_path,
        duration_s=round(duration, 3),
        recording_mode=call.slot.mode,
        direction=call.slot.direction,
        language=call.slot.language,
    )


def _write_metadata(
    folder: Path,
    export: str,
    metadata: CallMetadata,
    dialer_defaults: Callable[[str], AdapterDefaults],
) -> Path:
    """Write the call's metadata file in its format (a manifest is written once the day's calls
    are all made); the path that holds it."""
    if export == CANONICAL:
        path = folder / f"{metadata.call_id}.json"
        path.write_text(metadata.model_dump_json(indent=2) + "\n", encoding="utf-8")
    elif export == MANIFEST:
        path = folder / MANIFEST_NAME
    else:
        path = folder / export_name(export, metadata.call_id)
        path.write_bytes(export_call(export, metadata, dialer_defaults(export)))
    return path


def _lay_out(
    rng: np.random.Generator, lines: Sequence[Line], speech: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, list[dict[str, object]]]:
    """Place the turns one after another: per-speaker tracks and the ground truth."""
    pieces: list[tuple[str, int, np.ndarray]] = []
    truth: list[dict[str, object]] = []
    cursor = int(LEAD_SILENCE_S * SAMPLE_RATE)
    for i, (line, raw) in enumerate(zip(lines, speech, strict=True)):
        if i:
            cursor += int(rng.uniform(*PAUSE_RANGE_S) * SAMPLE_RATE)
        peak = AGENT_PEAK if line.speaker == "agent" else CUSTOMER_PEAK
        audio = normalise(resample(trim(raw), NATIVE_RATE, SAMPLE_RATE), peak)
        pieces.append((line.speaker, cursor, audio))
        truth.append(
            {
                "speaker": line.speaker,
                "start": round(cursor / SAMPLE_RATE, 3),
                "end": round((cursor + audio.size) / SAMPLE_RATE, 3),
                "text": line.text,
            }
        )
        cursor += audio.size
    total = cursor + int(rng.uniform(*TAIL_RANGE_S) * SAMPLE_RATE)
    tracks = {"agent": np.zeros(total), "customer": np.zeros(total)}
    for speaker, start, audio in pieces:
        tracks[speaker][start : start + audio.size] += audio
    return tracks["agent"], tracks["customer"], truth


def _mix(
    rng: np.random.Generator, slot: _Slot, agent: np.ndarray, customer: np.ndarray
) -> np.ndarray:
    """The channels the dialer would have written for the slot's recording mode, as int16."""
    if slot.mode is RecordingMode.STEREO:
        channels = [customer, customer]
        channels[slot.agent_channel or 0] = agent
        mixed = np.stack(channels, axis=1)
    elif slot.mode is RecordingMode.AGENT_ONLY:
        mixed = agent[:, None]
    else:
        mixed = (agent + customer)[:, None]
    mixed = mixed + rng.normal(0.0, NOISE_RMS, mixed.shape)
    return np.clip(np.round(mixed * 32767), -32768, 32767).astype(np.int16)


def _metadata(call: _PlannedCall, duration_s: float) -> CallMetadata:
    slot = call.slot
    return CallMetadata(
        call_id=call.call_id,
        # The manifest's and the canonical record's dialer is "generic"; an export's, its own.
        dialer="generic" if slot.export in (CANONICAL, MANIFEST) else slot.export,
        direction=slot.direction,
        started_at=call.started_at,
        ended_at=call.started_at + timedelta(milliseconds=round(duration_s * 1000)),
        agent_id=call.agent.agent_id,
        team=call.agent.team,
        campaign=call.script.campaign,
        customer_number=call.customer_number,
        language=slot.language,
        recording_mode=slot.mode,
        agent_channel=slot.agent_channel if slot.mode is RecordingMode.STEREO else None,
        consent=call.consent,
        outcome=call.script.outcome,
        nps=call.nps,
        lia_reference=LIA_REFERENCE if slot.direction is Direction.OUTBOUND else None,
    )
