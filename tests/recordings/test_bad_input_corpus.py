"""The bad-input corpus: one batch of good calls mixed with every kind of bad input we know of.

Each bad call must be quarantined with a reason that says what is wrong, its files kept byte for
byte under ``quarantine/`` with a ledger row and a deadline; the good calls must be ingested;
nothing may be lost (every landed file ends up in raw/, in quarantine/, in the catalogue, or,
where the store cannot address its name, untouched in landing/), and nothing may raise.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import UTC, date, datetime, timedelta
from functools import cache

import numpy as np
import pytest
import soundfile as sf

from assets.common.settings import CALL_TIMEZONE
from assets.common.storage import StorageError
from assets.recordings.ingest import ingest_day
from assets.retention import audit
from tests.support.calls import DAY, metadata, stereo, tone, wav

#: The time of ingestion, fixed for the whole test so "in the future" is exact.
NOW = datetime.now(UTC).replace(microsecond=0)


def flac(samples: np.ndarray, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def wav_at(rate: int, seconds: float = 0.5, channels: int = 1) -> bytes:
    samples = tone(440, seconds, rate)
    return wav(np.stack([samples] * channels, axis=1) if channels > 1 else samples, rate)


@cache
def two_hours_one_minute_of_silence() -> bytes:
    """2:01:00 of 8 kHz digital silence as FLAC: about 180 kB, encoded in well under a second."""
    buffer = io.BytesIO()
    block = np.zeros((8000 * 60, 1), dtype=np.int16)
    with sf.SoundFile(buffer, "w", 8000, 1, format="FLAC", subtype="PCM_16") as out:
        for _ in range(121):
            out.write(block)
    return buffer.getvalue()


def wav_header_claiming(seconds: int, rate: int = 8000) -> bytes:
    """A 16-bit mono WAV header that declares ``seconds`` of audio, followed by one second."""
    declared = seconds * rate * 2
    header = (
        b"RIFF"
        + (36 + declared).to_bytes(4, "little")
        + b"WAVEfmt "
        + (16).to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + rate.to_bytes(4, "little")
        + (rate * 2).to_bytes(4, "little")
        + (2).to_bytes(2, "little")
        + (16).to_bytes(2, "little")
        + b"data"
        + declared.to_bytes(4, "little")
    )
    return header + bytes(rate * 2)


def corrupt_flac() -> bytes:
    """A real FLAC's header (STREAMINFO intact) followed by random bytes instead of frames."""
    good = flac(tone(523, 3.0))
    first_frame = good.find(b"\xff\xf8", 42)
    assert first_frame > 0
    rng = np.random.default_rng(11)
    return good[:first_frame] + rng.bytes(len(good) - first_frame)


def garbled_wav_header() -> bytes:
    """RIFF/WAVE magic, then a format chunk naming a codec that does not exist."""
    good = wav(tone(600))
    return good[:20] + (0x7777).to_bytes(2, "little") + good[22:]


def agent_only(call_id: str, **extra) -> dict:
    return metadata(call_id, mode="agent_only", **extra)


def at(moment: datetime) -> dict:
    """started_at/ended_at for a 2-second call starting at ``moment``."""
    return {
        "started_at": moment.isoformat(),
        "ended_at": (moment + timedelta(seconds=2)).isoformat(),
    }


def oslo_day(moment: datetime) -> date:
    return moment.astimezone(CALL_TIMEZONE).date()


FUTURE = NOW + timedelta(days=1)
SLIGHTLY_AHEAD = NOW + timedelta(minutes=30)  # within the tolerated clock skew

#: {file name (relative to the landing date folder): bytes}
Files = dict[str, bytes]


def js(record) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


#: stem -> (landing date, files): calls that must be ingested.
GOOD: dict[str, tuple[date, Files]] = {
    "good-stereo": (
        DAY,
        {"good-stereo.wav": wav(stereo()), "good-stereo.json": js(metadata("good-stereo"))},
    ),
    "good-agent": (
        DAY,
        {"good-agent.wav": wav(tone(301)), "good-agent.json": js(agent_only("good-agent"))},
    ),
    "good-mono-flac": (
        DAY,
        {
            "good-mono-flac.flac": flac(tone(302)),
            "good-mono-flac.json": js(metadata("good-mono-flac", direction="inbound", mode="mono")),
        },
    ),
    # Unicode where free text belongs is fine: only the call id is restricted.
    "good-unicode-fields": (
        DAY,
        {
            "good-unicode-fields.wav": wav(tone(303)),
            "good-unicode-fields.json": js(
                agent_only(
                    "good-unicode-fields",
                    agent_id="bjørn-æøå",
                    team="kundeservice\u200f",
                    campaign="حملة\u200b",
                )
            ),
        },
    ),
    **{
        f"good-{rate}hz": (
            DAY,
            {
                f"good-{rate}hz.wav": wav_at(rate),
                f"good-{rate}hz.json": js(agent_only(f"good-{rate}hz")),
            },
        )
        for rate in (8000, 11025, 22050, 44100, 48000)
    },
    "good-skew-30min": (
        oslo_day(SLIGHTLY_AHEAD),
        {
            "good-skew-30min.wav": wav(tone(304)),
            "good-skew-30min.json": js(agent_only("good-skew-30min", **at(SLIGHTLY_AHEAD))),
        },
    ),
}


def bad(stem: str, audio: bytes, meta: dict | bytes, reason: str, ext: str = "wav", day=DAY):
    body = meta if isinstance(meta, bytes) else js(meta)
    return stem, (day, {f"{stem}.{ext}": audio, f"{stem}.json": body}, reason)


#: (file stem, the call id in its record, the quarantine reason): path traversal, odd unicode.
BAD_CALL_IDS = [
    ("traversal-id", "../x", "call_id: String should match"),
    ("slash-id", "a/b", "call_id: String should match"),
    ("callé", "callé", "call_id: String should match"),
    ("call\u200bzw", "call\u200bzw", "call_id: String should match"),
    # An RTL mark in the file name only: the record's clean id does not match it.
    ("call\u200frtl", "callrtl", "call id 'callrtl' does not match file name 'call\\u200frtl'"),
    # ...and in the record only.
    ("rtl-in-record", "rtl-in-record\u200f", "call_id: String should match"),
    # The same letters, decomposed (NFD) in the file name, composed (NFC) in the record.
    ("calle\u0301-nfd", "callé-nfd", "call_id: String should match"),
]

#: (file stem, fields set in its agent-only record, the quarantine reason): wrong types, unknown
#: fields.
BAD_FIELDS = [
    ("channel-as-word", {"agent_channel": "left"}, "agent_channel"),
    ("nps-as-word", {"nps": "ten"}, "nps"),
    ("direction-number", {"direction": 42}, "direction"),
    ("started-not-a-time", {"started_at": "yesterday"}, "started_at"),
    (
        "naive-times",
        {"started_at": f"{DAY}T10:00:00", "ended_at": f"{DAY}T10:00:02"},
        "timestamps must carry a time zone offset",
    ),
    (
        "unknown-field",
        {"favourite_colour": "blue"},
        "favourite_colour: Extra inputs are not permitted",
    ),
]

#: stem -> (landing date, files, what the quarantine reason must say).
BAD: dict[str, tuple[date, Files, str]] = dict(
    [
        # -- broken audio ------------------------------------------------------------------
        bad("truncated", wav(tone(310, 4.0))[:20000], agent_only("truncated"), "truncated"),
        bad(
            "truncated-flac",
            flac(tone(311, 4.0))[:3000],
            agent_only("truncated-flac"),
            "does not decode",
            ext="flac",
        ),
        bad(
            "header-only-wav",
            wav(tone(312, 4.0))[:44],
            agent_only("header-only-wav"),
            "truncated: header declares 128000 bytes of audio, 0 present",
        ),
        bad(
            "corrupt-flac",
            corrupt_flac(),
            agent_only("corrupt-flac"),
            "corrupt or truncated: the audio does not decode",
            ext="flac",
        ),
        bad(
            "corrupt-mp3",
            b"ID3\x04\x00\x00\x00\x00\x00\x00" + np.random.default_rng(3).bytes(4000),
            agent_only("corrupt-mp3"),
            "not a readable audio file",
            ext="mp3",
        ),
        bad(
            "garbled-header",
            garbled_wav_header(),
            agent_only("garbled-header"),
            "not a readable audio file",
        ),
        bad("empty", b"", agent_only("empty"), "empty file (0 bytes)"),
        bad(
            "html-as-wav",
            b"<!doctype html><p>Service unavailable</p>",
            agent_only("html-as-wav"),
            "not a readable audio file: Format not recognised",
        ),
        bad(
            "pdf-as-wav",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n",
            agent_only("pdf-as-wav"),
            "not a readable audio file",
        ),
        bad(
            "json-as-wav",
            js(agent_only("json-as-wav")),
            agent_only("json-as-wav"),
            "not a readable audio file",
        ),
        # -- odd sample rates, channel counts and lengths ----------------------------------
        bad(
            "rate-1hz",
            wav_at(1, seconds=20),
            agent_only("rate-1hz"),
            "unsupported sample rate 1 Hz",
        ),
        bad(
            "rate-3000hz",
            wav_at(3000),
            agent_only("rate-3000hz"),
            "unsupported sample rate 3000 Hz",
        ),
        bad(
            "rate-384khz",
            wav_at(384_000, seconds=0.1),
            agent_only("rate-384khz"),
            "unsupported sample rate 384000 Hz",
        ),
        bad(
            "three-channels",
            wav_at(16_000, channels=3),
            agent_only("three-channels"),
            "3 channels; dialer recordings have 1 or 2",
        ),
        bad(
            "over-two-hours",
            two_hours_one_minute_of_silence(),
            agent_only("over-two-hours"),
            "recording is 2:01:00 long; the limit is 2:00:00",
            ext="flac",
        ),
        # A header that claims 3 h over one second of data is a truncated file, not a long one.
        bad(
            "header-claims-3h",
            wav_header_claiming(3 * 3600),
            agent_only("header-claims-3h"),
            "truncated: header declares 172800000 bytes of audio, 16000 present",
        ),
        # -- recording mode against channel count ------------------------------------------
        bad(
            "stereo-but-mono-file",
            wav(tone(320)),
            metadata("stereo-but-mono-file", mode="stereo"),
            "recording mode 'stereo' needs 2 channel(s), the file has 1",
        ),
        bad(
            "agent-only-but-stereo-file",
            wav(stereo(321, 961)),
            agent_only("agent-only-but-stereo-file"),
            "recording mode 'agent_only' needs 1 channel(s), the file has 2",
        ),
        bad(
            "mono-but-stereo-file",
            wav(stereo(322, 962)),
            metadata("mono-but-stereo-file", direction="inbound", mode="mono"),
            "recording mode 'mono' needs 1 channel(s), the file has 2",
        ),
        # -- call ids: path traversal and odd unicode --------------------------------------
        *(
            bad(stem, wav(tone(330 + i)), agent_only(record_id), reason)
            for i, (stem, record_id, reason) in enumerate(BAD_CALL_IDS)
        ),
        # -- metadata: missing fields, wrong types, not JSON, unknown fields ---------------
        bad(
            "missing-agent",
            wav(tone(340)),
            {k: v for k, v in agent_only("missing-agent").items() if k != "agent_id"},
            "agent_id: missing",
        ),
        bad(
            "missing-times",
            wav(tone(341)),
            {
                k: v
                for k, v in agent_only("missing-times").items()
                if k not in ("started_at", "ended_at")
            },
            "started_at: missing; ended_at: missing",
        ),
        *(
            bad(stem, wav(tone(342 + i)), agent_only(stem, **fields), reason)
            for i, (stem, fields, reason) in enumerate(BAD_FIELDS)
        ),
        bad("broken-json", wav(tone(348)), b"{not json", "metadata invalid"),
        bad("json-list", wav(tone(349)), b"[1, 2, 3]", "metadata invalid"),
        bad("json-null", wav(tone(350)), b"null", "metadata invalid"),
        bad(
            "latin1-json",
            wav(tone(351)),
            json.dumps(agent_only("latin1-json", team="kundeservice-ø"), ensure_ascii=False).encode(
                "latin-1"
            ),
            "metadata invalid",
        ),
        bad("empty-json", wav(tone(352)), b"", "metadata invalid"),
        # -- clock skew and dates ----------------------------------------------------------
        bad(
            "starts-tomorrow",
            wav(tone(360)),
            agent_only("starts-tomorrow", **at(FUTURE)),
            f"started_at {FUTURE.isoformat()} is in the future",
            day=oslo_day(FUTURE),
        ),
        bad(
            "ends-before-start",
            wav(tone(361)),
            agent_only(
                "ends-before-start",
                started_at=f"{DAY}T10:00:00+01:00",
                ended_at=f"{DAY}T09:59:00+01:00",
            ),
            "ended_at is before started_at",
        ),
        bad(
            "wrong-folder",
            wav(tone(362)),
            agent_only("wrong-folder", **at(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))),
            f"call date 2026-11-05 does not match landing folder {DAY}",
        ),
        # -- duplicates within the batch ---------------------------------------------------
        bad(
            "same-audio-other-id",
            wav(tone(301)),  # good-agent's audio
            agent_only("same-audio-other-id"),
            "audio is identical to call 'good-agent'",
        ),
    ]
)


def beside(stem: str, hz: int, ext: str, extra: bytes, flagged: str = ""):
    """A good agent-only call with one more file, ``<stem>.<ext>``, landed beside it; the
    reason names the ``flagged`` file where it can tell which one is too many."""
    files = {
        f"{stem}.wav": wav(tone(hz)),
        f"{stem}.json": js(agent_only(stem)),
        f"{stem}.{ext}": extra,
    }
    return stem, (
        DAY,
        files,
        "unexpected file(s) beside the call" + (f": {flagged}" if flagged else ""),
    )


# Corpus cases whose files are not one audio file plus one metadata sidecar.
BAD.update(
    {
        "x": (
            DAY,
            {"x.wav": wav(tone(370)), "x.acme.json": js(agent_only("x"))},
            "unknown dialer 'acme' in 'x.acme.json'",
        ),
        # Traversal through the folder structure: a call filed in a subfolder of the date.
        "sub/inner": (
            DAY,
            {"sub/inner.wav": wav(tone(375)), "sub/inner.json": js(agent_only("inner"))},
            f"filed in a subfolder (sub/) of landing/{DAY}/",
        ),
    }
)
BAD.update(
    [
        beside("two-audio", 371, "flac", flac(tone(372)), flagged="two-audio.wav"),
        beside("with-notes", 373, "txt", b"customer was angry", flagged="with-notes.txt"),
        beside("two-records", 374, "leaddesk.json", b"{}"),
    ]
)
# The same name as the subfolder call, in the date folder: a good call, not paired with it.
GOOD["inner"] = (DAY, {"inner.wav": wav(tone(376)), "inner.json": js(agent_only("inner"))})


def land_all(store, cases) -> dict[str, bytes]:
    landed = {}
    for day, files, *_ in cases.values():
        for name, data in files.items():
            key = f"landing/{day.isoformat()}/{name}"
            store.put_bytes(key, data)
            landed[key] = data
    return landed


def land_on_disk(store, day: date, name: bytes, data: bytes) -> None:
    """Write a file straight into the landing folder, as a sync job could, bypassing the store's
    key checks (names it would refuse: control characters, bytes that are not UTF-8)."""
    folder = os.fsencode(store.base / "landing" / day.isoformat())
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)


def the_row(con, query: str, key: str) -> tuple:
    """The one row ``query`` finds for ``key``, which must be there."""
    row = con.execute(query, [key]).fetchone()
    assert row is not None, key
    return row


def test_the_bad_input_corpus(local_store, catalog, policy):
    store, con = local_store, catalog
    landed = land_all(store, {**GOOD, **BAD})
    # Names the store refuses cannot land through it at all...
    for name in ("../escape.wav", "sub/../../escape.wav", "a\\b.wav"):
        with pytest.raises(StorageError):
            store.put_bytes(f"landing/{DAY}/{name}", b"RIFF")
    # ...but a sync job writing the folder directly can leave them there.
    unaddressable = {b"bell\x07.wav": wav(tone(380)), b"latin1-\xf8.wav": wav(tone(381))}
    for name, data in unaddressable.items():
        land_on_disk(store, DAY, name, data)

    days = sorted({day for day, *_ in [*GOOD.values(), *BAD.values()]})
    outcomes = {}
    for day in days:
        for outcome in ingest_day(store, con, policy, day, now=NOW):
            assert outcome.stem not in outcomes, outcome.stem
            outcomes[outcome.stem] = outcome

    # Duplicates across runs: the same upload again, and a known call id with other audio.
    again = {
        "good-agent": (DAY, GOOD["good-agent"][1]),
        "good-stereo": (
            DAY,
            {
                "good-stereo.wav": wav(stereo(305, 905)),
                "good-stereo.json": GOOD["good-stereo"][1]["good-stereo.json"],
            },
        ),
    }
    relanded = land_all(store, again)
    second = {o.stem: o for o in ingest_day(store, con, policy, DAY, now=NOW)}

    # Good calls are ingested, their audio stored byte for byte.
    for stem, (_day, files) in GOOD.items():
        assert outcomes[stem].status == "ingested", (stem, outcomes[stem])
        audio_name = next(n for n in files if not n.endswith(".json"))
        row = con.execute(
            "select object_key, sha256 from raw.recordings where call_id = ?", [stem]
        ).fetchone()
        assert row is not None, stem
        assert store.get_bytes(row[0]) == files[audio_name]

    # Bad calls are quarantined with a reason naming the problem...
    wrong = {
        stem: outcomes[stem]
        for stem, (_, _, reason) in BAD.items()
        if outcomes[stem].status != "quarantined" or reason not in outcomes[stem].reason
    }
    assert not wrong, "\n".join(f"{s}: {o.status}: {o.reason}" for s, o in wrong.items())
    assert not con.execute(
        f"select call_id from raw.recordings where call_id not in ({', '.join('?' for _ in GOOD)})",
        list(GOOD),
    ).fetchall()

    # ...and every one of their files is in quarantine, byte for byte, with the reason, a
    # ledger row (class quarantine, a deadline, not deleted) and the same hash.
    window = policy.deadline("quarantine", "legitimate_interest", NOW) - NOW
    for stem, (day, files, reason) in BAD.items():
        for name, data in files.items():
            key = f"landing/{day.isoformat()}/{name}"
            quarantine_key, why, row_stem, sha = the_row(
                con,
                "select quarantine_key, reason, stem, sha256 from raw.quarantine "
                "where landing_key = ?",
                key,
            )
            assert reason in why and row_stem == stem, (key, why)
            assert quarantine_key.startswith(f"quarantine/{day.isoformat()}/")
            assert store.get_bytes(quarantine_key) == data, key
            object_class, basis, created, deadline, deleted, ledger_sha = the_row(
                con,
                "select object_class, legal_basis, created_at, deadline, deleted_at, sha256 "
                "from raw.stored_objects where object_key = ?",
                quarantine_key,
            )
            assert (object_class, basis, deleted) == ("quarantine", "legitimate_interest", None)
            assert deadline - created == window and ledger_sha == sha

    # Duplicates: the same upload again is released with a receipt, not stored twice; the
    # same call id with other audio is quarantined.
    assert second["good-agent"].status == "duplicate", second["good-agent"]
    assert second["good-stereo"].status == "quarantined"
    assert "call id 'good-stereo' was already ingested with different audio" in (
        second["good-stereo"].reason
    )
    assert con.execute(
        "select count(*) from raw.recordings where call_id = 'good-agent'"
    ).fetchone() == (1,)
    receipts: dict[str, list[str]] = {}
    for key, reason in con.execute(
        "select object_key, reason from raw.deletion_receipts"
    ).fetchall():
        receipts.setdefault(key, []).append(reason)
    assert "duplicate upload of good-agent" in receipts[f"landing/{DAY}/good-agent.wav"]

    # Names the store cannot address stay in landing, untouched, and say why.
    by_name = {
        "bell\\x07.wav": "holds control characters",
        "latin1-\\udcf8.wav": "is not valid UTF-8",
    }
    for stem, why in by_name.items():
        assert outcomes[stem].status == "waiting", outcomes[stem]
        assert why in outcomes[stem].reason and "rename it" in outcomes[stem].reason
    folder = os.fsencode(store.base / "landing" / DAY.isoformat())
    files = [n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n))]
    assert sorted(files) == sorted(unaddressable)
    for name, data in unaddressable.items():
        with open(os.path.join(folder, name), "rb") as handle:
            assert handle.read() == data

    # Nothing is lost: every landed file is in raw/ (audio of an ingested call), in the
    # catalogue (the metadata of an ingested call) or in quarantine/, and its landing copy was
    # removed with a receipt saying where it went.
    raw_audio = {
        sha: key
        for key, sha in con.execute("select object_key, sha256 from raw.recordings").fetchall()
    }
    quarantined = dict(
        con.execute("select landing_key, quarantine_key from raw.quarantine").fetchall()
    )
    for key, data in [*landed.items(), *relanded.items()]:
        assert key in receipts, key
        if key in quarantined and store.get_bytes(quarantined[key]) == data:
            continue
        if key.endswith(".json"):
            call_id = key.rsplit("/", 1)[-1].removesuffix(".json")
            assert con.execute(
                "select 1 from raw.recordings where call_id = ?", [call_id]
            ).fetchone(), key
            assert any(r.startswith(("moved to raw/", "duplicate upload")) for r in receipts[key])
        else:
            stored = raw_audio.get(hashlib.sha256(data).hexdigest())
            assert stored is not None and store.get_bytes(stored) == data, key
    left = {f"landing/{DAY}/{os.fsdecode(name)}" for name in unaddressable}
    assert {o.key for o in store.list("landing/")} == left
    assert audit.verify(con).ok
