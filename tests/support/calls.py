"""Small landed calls made of tones, for tests that need audio but not speech."""

from __future__ import annotations

import io
import json
from datetime import date

import numpy as np
import soundfile as sf

RATE = 16_000
DAY = date(2026, 11, 2)


def tone(freq: float, seconds: float = 2.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.2 * np.sin(2 * np.pi * freq * t)).astype("float32")


def wav(samples: np.ndarray, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def metadata(call_id: str, direction: str = "outbound", mode: str = "stereo", **extra) -> dict:
    record = {
        "call_id": call_id,
        "direction": direction,
        "started_at": f"{DAY}T10:00:00+01:00",
        "ended_at": f"{DAY}T10:00:02+01:00",
        "agent_id": "agent-test",
        "team": "team-test",
        "language": "en",
        "recording_mode": mode,
        "agent_channel": 0 if mode == "stereo" else None,
        "lia_reference": "LIA-2026-01" if direction == "outbound" else None,
    }
    record.update(extra)
    return record


CONSENT = {
    "mechanism": "keypress",
    "given": True,
    "at": f"{DAY}T09:59:50+01:00",
    "prompt_version": "ivr-v3",
    "purposes": ["quality_assurance", "training"],
}


def stereo(agent_freq: float = 300.0, customer_freq: float = 900.0, agent_channel: int = 0):
    agent, customer = tone(agent_freq), tone(customer_freq)
    pair = [agent, customer] if agent_channel == 0 else [customer, agent]
    return np.stack(pair, axis=1)


def land(store, call_id: str, audio: bytes | None, meta: dict | str | None, day: date = DAY):
    """Put a call's files in the landing area the way a dialer export would."""
    prefix = f"landing/{day.isoformat()}/{call_id}"
    if audio is not None:
        store.put_bytes(f"{prefix}.wav", audio)
    if meta is not None:
        body = meta if isinstance(meta, str) else json.dumps(meta)
        store.put_bytes(f"{prefix}.json", body.encode())
