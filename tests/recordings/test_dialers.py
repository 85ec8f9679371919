"""Dialer adapters: each sample export becomes the expected call record; a bad export fails
with a message naming the dialer and the field (it becomes the quarantine reason)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.common.settings import CALL_TIMEZONE
from assets.recordings.dialers import (
    SUPPORTED_DIALERS,
    AdapterDefaults,
    MetadataError,
    manifest_csv,
    parse_manifest,
    parse_metadata,
    split_metadata_name,
)
from assets.recordings.dialers.base import coerce_direction, coerce_timestamp
from assets.recordings.metadata import (
    CALL_ID_PATTERN,
    CallMetadata,
    ConsentEvent,
    ConsentMechanism,
    Direction,
    RecordingMode,
)
from tests.support.dialers import OUTBOUND_TENANT, PURPOSES, SAMPLES, TENANT


def sample(dialer: str) -> tuple[str, bytes]:
    (path,) = sorted((SAMPLES / dialer).glob(f"*.{dialer}.json"))
    return path.name, path.read_bytes()


def sample_json(dialer: str) -> tuple[str, dict]:
    name, data = sample(dialer)
    return name, json.loads(data)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def sample_call(dialer: str) -> CallMetadata:
    return parse_metadata(*sample(dialer), TENANT)


def error_of(filename: str, data: bytes | dict, defaults: AdapterDefaults = TENANT) -> str:
    payload = json.dumps(data).encode() if isinstance(data, dict) else data
    with pytest.raises(MetadataError) as exc:
        parse_metadata(filename, payload, defaults)
    return str(exc.value)


# -- every sample export ------------------------------------------------------------------------


def test_adversus_sample():
    name, data = sample("adversus")
    call = parse_metadata(name, data, OUTBOUND_TENANT)
    assert call.model_dump(exclude={"consent"}) == {
        "call_id": "918273",
        "dialer": "adversus",
        "direction": Direction.OUTBOUND,
        "started_at": utc(2026, 11, 2, 8, 14, 3),
        "ended_at": utc(2026, 11, 2, 8, 19, 15),
        "agent_id": "1042",
        "team": "Salg Oslo",
        "campaign": "Vinter 2026 mobilabonnement",
        "customer_number": "+4791234567",
        "language": "nb",
        "recording_mode": RecordingMode.STEREO,
        "agent_channel": 0,
        "outcome": "success",
        "nps": None,
        "lia_reference": "LIA-2026-01",
    }
    assert call.consent is None


@pytest.mark.parametrize(
    ("dialer", "call_id", "direction", "started_at", "ended_at"),
    [
        (
            "genesys",
            "7f3e2b1a-9c4d-4e5f-8a6b-0c1d2e3f4a5b",
            Direction.INBOUND,
            utc(2026, 11, 2, 12, 30, 5, 120000),
            utc(2026, 11, 2, 12, 36, 41, 800000),
        ),
        # "out"; "2026-11-02 10:03:11" is Oslo winter time (+01:00), 184 s long.
        (
            "leaddesk",
            "88412",
            Direction.OUTBOUND,
            utc(2026, 11, 2, 9, 3, 11),
            utc(2026, 11, 2, 9, 6, 15),
        ),
        # The call id comes from the file name.
        (
            "dialfire",
            "call-df-001",
            Direction.INBOUND,
            utc(2026, 11, 2, 13, 5, 2),
            utc(2026, 11, 2, 13, 11, 58),
        ),
        # "Incoming".
        (
            "leocall",
            "LC-20261102-0042",
            Direction.INBOUND,
            utc(2026, 11, 2, 14, 19, 50),
            utc(2026, 11, 2, 14, 27, 30),
        ),
    ],
)
def test_sample_call_id_direction_and_times(dialer, call_id, direction, started_at, ended_at):
    call = sample_call(dialer)
    assert (call.call_id, call.direction) == (call_id, direction)
    assert (call.started_at, call.ended_at) == (started_at, ended_at)


def test_genesys_sample():
    call = sample_call("genesys")
    assert call.agent_id == "d9b1c2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e"
    assert call.team == "5a1c9e2f-3b4d-4c6e-8f70-91a2b3c4d5e6"  # teamId beats the default
    assert call.customer_number == "+4798765432"  # the caller's ani, without "tel:"
    assert call.outcome == "b7e4c2d1-0f9a-4b8c-9d7e-6f5a4b3c2d1e"  # the wrap-up code
    assert call.nps == 9
    # The tenant's LIA covers outbound calls only.
    assert call.lia_reference is None
    assert call.consent == ConsentEvent(
        mechanism=ConsentMechanism.KEYPRESS,
        given=True,
        at=utc(2026, 11, 2, 12, 30, 18, 400000),
        prompt_version="ivr-consent-v3",
        purposes=list(PURPOSES),
        response="1",
    )


def test_leaddesk_sample_reads_local_time_in_the_call_timezone():
    call = sample_call("leaddesk")
    assert call.started_at.utcoffset() == timedelta(hours=1)
    assert (call.agent_id, call.team, call.campaign) == ("311", "Salg Bergen", "Strøm fastpris")
    assert (call.customer_number, call.outcome) == ("4790011223", "Callback")
    assert call.lia_reference == "LIA-2026-01"


def test_dialfire_sample():
    call = sample_call("dialfire")
    assert (call.agent_id, call.campaign) == ("sigrid.berg@example.no", "KUNDESERVICE_NO")
    assert (call.customer_number, call.outcome, call.team) == (
        "+4790011223",
        "resolved",
        "Salg Oslo",
    )
    # Key 2 is not among the tenant's accept keys: a refusal, with no purposes.
    assert call.consent is not None
    assert (call.consent.given, call.consent.response, call.consent.purposes) == (False, "2", [])


def test_leocall_sample():
    call = sample_call("leocall")
    assert (call.team, call.campaign, call.nps) == ("Support Trondheim", "Faktura", 10)
    assert call.consent is not None
    # Epoch milliseconds.
    assert call.consent.at == utc(2026, 11, 2, 14, 19, 55)
    assert call.consent.given and call.consent.purposes == list(PURPOSES)


def test_generic_json_manifest():
    path = SAMPLES / "generic" / "manifest.json"
    entries = parse_manifest(path.name, path.read_bytes(), TENANT)
    assert [audio for audio, _ in entries] == ["call-gen-001.wav", "call-gen-002.flac"]
    first, second = (call for _, call in entries)
    assert (first.call_id, first.dialer, first.agent_channel) == ("call-gen-001", "telavox", 1)
    assert first.consent is not None and first.consent.given
    assert first.language == "en" and first.nps == 8
    # The second record leaves language and team to the tenant, and has epoch seconds.
    assert (second.call_id, second.dialer) == ("gen-2026-0002", "generic")
    assert (second.language, second.team, second.lia_reference) == (
        "nb",
        "Salg Oslo",
        "LIA-2026-01",
    )
    assert second.started_at == utc(2026, 11, 2, 9, 0, 0)
    assert second.recording_mode is RecordingMode.AGENT_ONLY and second.agent_channel is None


def test_generic_csv_manifest():
    path = SAMPLES / "generic" / "manifest.csv"
    entries = dict(parse_manifest(path.name, path.read_bytes(), TENANT))
    assert list(entries) == ["call-gen-003.wav", "call-gen-004.mp3", "call-gen-005.wav"]
    local = entries["call-gen-003.wav"]
    assert local.started_at == utc(2026, 11, 2, 10, 0, 0)
    assert local.consent == ConsentEvent(
        mechanism=ConsentMechanism.KEYPRESS,
        given=True,
        at=utc(2026, 11, 2, 9, 59, 51),
        prompt_version="ivr-consent-v3",
        purposes=list(PURPOSES),
        response="1",
    )
    quoted = entries["call-gen-004.mp3"]
    assert (quoted.campaign, quoted.outcome) == ("Fornyelse Q4, bedrift", "callback, tirsdag")
    assert quoted.recording_mode is RecordingMode.MONO and quoted.language == "nb"
    epoch = entries["call-gen-005.wav"]
    assert (epoch.call_id, epoch.direction, epoch.team) == (
        "gen-2026-0005",
        Direction.INBOUND,
        "Salg Oslo",
    )
    assert epoch.started_at == utc(2026, 11, 2, 15, 0, 0)  # epoch milliseconds
    assert epoch.consent is not None and not epoch.consent.given
    assert epoch.consent.response == "timeout"


def all_sample_calls() -> list[tuple[str, CallMetadata]]:
    calls = []
    for path in sorted(SAMPLES.glob("*/*")):
        if "manifest" in path.name:
            calls += parse_manifest(path.name, path.read_bytes(), OUTBOUND_TENANT)
        else:
            calls.append((path.name, parse_metadata(path.name, path.read_bytes(), OUTBOUND_TENANT)))
    return calls


def test_every_sample_is_a_valid_call_of_the_sample_day():
    calls = all_sample_calls()
    dialers = {call.dialer for _, call in calls}
    assert set(SUPPORTED_DIALERS) <= dialers and "generic" in dialers
    for name, call in calls:
        # What ingest stores (metadata_json) reads back as the same record.
        assert CallMetadata.model_validate_json(call.model_dump_json()) == call
        assert call.call_date == date(2026, 11, 2), name
        if name.endswith(".json") and "manifest" not in name:
            assert split_metadata_name(name)[0] == call.call_id


# -- detection by file name ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("call-7.json", ("call-7", None)),
        ("call-7.genesys.json", ("call-7", "genesys")),
        ("landing/2026-11-02/88412.leaddesk.json", ("88412", "leaddesk")),
        ("2026.11.02-17.json", ("2026.11.02-17", None)),
        *[(f"x-1.{d}.json", ("x-1", d)) for d in SUPPORTED_DIALERS],
    ],
)
def test_dialer_is_detected_by_suffix(filename, expected):
    assert split_metadata_name(filename) == expected


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("call-7.five9.json", "unknown dialer 'five9'"),
        ("call-7.truth.json", "ground truth"),
        ("call-7.xml", "not a .json metadata file"),
        ("manifest.json", "use parse_manifest"),
    ],
)
def test_names_that_are_not_call_metadata(filename, message):
    assert message in error_of(filename, b"{}")


def test_unknown_dialer_message_lists_the_supported_ones():
    message = error_of("call-7.five9.json", b"{}")
    assert all(d in message for d in SUPPORTED_DIALERS)


def test_canonical_record_parses_as_today():
    name, data = sample("adversus")
    call = parse_metadata(name, data, OUTBOUND_TENANT)
    assert parse_metadata("918273.json", call.model_dump_json().encode(), AdapterDefaults()) == call


def test_canonical_errors_keep_the_ingest_wording():
    name, data = sample("adversus")
    record = parse_metadata(name, data, OUTBOUND_TENANT).model_dump(mode="json")
    del record["agent_id"]
    message = error_of("918273.json", record)
    assert message.startswith("metadata invalid (canonical)") and "agent_id: missing" in message
    assert "metadata invalid" in error_of("918273.json", b"{not json")
    assert "does not match file name" in error_of("someone-else.json", {**record, "agent_id": "a"})


@pytest.mark.parametrize("dialer", ["adversus", "genesys", "leaddesk", "leocall"])
def test_vendor_call_id_must_be_the_file_name(dialer):
    _, data = sample(dialer)
    message = error_of(f"someone-else.{dialer}.json", data, OUTBOUND_TENANT)
    assert message.startswith(f"metadata invalid ({dialer})")
    assert "does not match file name 'someone-else'" in message


# -- error messages -----------------------------------------------------------------------------


#: Absent from the export (``del``), not a value.
MISSING = object()


@pytest.mark.parametrize(
    ("dialer", "path", "value", "named"),
    [
        ("genesys", ("conversationStart",), MISSING, "conversationStart: missing"),
        ("adversus", ("cdr", "userId"), MISSING, "cdr.userId: missing"),
        ("adversus", ("cdr", "userId"), ["1042"], "cdr.userId: ['1042'] is not an id"),
        (
            "genesys",
            ("participants", 2, "sessions", 0, "recording"),
            "maybe",
            "participants[2].sessions[0].recording: Input should be a valid boolean",
        ),
        (
            "leaddesk",
            ("talk_start",),
            "0000-00-00 00:00:00",
            "talk_start: '0000-00-00 00:00:00' is not a timestamp",
        ),
        (
            "genesys",
            ("originatingDirection",),
            "sideways",
            "originatingDirection: 'sideways' is not a call direction",
        ),
        ("leocall", ("end_time",), "2026-11-02 15:00:00", "file: ended_at is before started_at"),
        (
            "leocall",
            ("survey_nps",),
            11,
            "nps (from survey_nps): Input should be less than or equal to 10",
        ),
        (
            "dialfire",
            ("transaction", "connections"),
            [],
            "transaction.connections: List should have at least 1 item",
        ),
    ],
)
def test_a_bad_vendor_field_is_named_with_its_path(dialer, path, value, named):
    name, export = sample_json(dialer)
    *parents, last = path
    holder = export
    for key in parents:
        holder = holder[key]
    if value is MISSING:
        del holder[last]
    else:
        holder[last] = value
    message = error_of(name, export, OUTBOUND_TENANT)
    assert message.startswith(f"metadata invalid ({dialer}): {named}")


def test_invalid_json_is_reported():
    message = error_of("call-7.leocall.json", b'{"call_id": ')
    assert message.startswith("metadata invalid (leocall): file: Invalid JSON")


def test_missing_tenant_default_is_named_not_guessed():
    name, data = sample("adversus")
    message = error_of(name, data, TENANT)  # no tenant direction
    assert message == (
        "metadata invalid (adversus): direction: not in the export, "
        "and no tenant default 'direction' is set"
    )
    no_language = OUTBOUND_TENANT.model_copy(update={"language": None})
    assert "language: not in the export" in error_of(name, data, no_language)


def test_stereo_without_agent_channel_is_refused():
    name, data = sample("genesys")
    message = error_of(name, data, TENANT.model_copy(update={"agent_channel": None}))
    assert "agent_channel: not in the export, and no tenant default 'agent_channel'" in message


def test_keypress_without_accept_keys_is_not_read_as_consent():
    name, data = sample("genesys")
    message = error_of(name, data, TENANT.model_copy(update={"consent_accept_keys": frozenset()}))
    assert "participants[customer].attributes.lydspor_consent_key" in message
    assert "no tenant consent_accept_keys" in message


@pytest.mark.parametrize("key", ["timeout", "silence", ""])
def test_passive_response_is_never_consent(key):
    name, export = sample_json("leocall")
    export["ivr_consent_digit"] = key
    call = parse_metadata(name, json.dumps(export).encode(), TENANT)
    assert call.consent is not None and not call.consent.given and call.consent.purposes == []


def test_genesys_without_agent():
    name, export = sample_json("genesys")
    export["participants"] = [p for p in export["participants"] if p["purpose"] != "agent"]
    assert "participants[].purpose: no participant with purpose 'agent'" in error_of(name, export)


def test_dialfire_dial_modes_are_outbound_and_unknown_types_refused():
    name, export = sample_json("dialfire")
    export["transaction"]["type"] = "predictive"
    assert parse_metadata(name, json.dumps(export).encode(), TENANT).direction is Direction.OUTBOUND
    export["transaction"]["type"] = "callback-robot"
    assert "transaction.type: 'callback-robot' is neither inbound" in error_of(name, export)


def manifest_error(name: str, data: bytes, defaults: AdapterDefaults = TENANT) -> str:
    with pytest.raises(MetadataError) as exc:
        parse_manifest(name, data, defaults)
    return str(exc.value)


CSV_HEADER = "audio_file,direction,started_at,ended_at,agent_id\n"


def test_manifest_errors_name_the_row_and_field():
    data = (
        CSV_HEADER + "a.wav,inbound,2026-11-02T10:00:00Z,2026-11-02T10:01:00Z,a-1\n"
        "b.wav,inbound,2026-11-02T10:00:00Z,not a time,a-2\n"
    ).encode()
    message = manifest_error("manifest.csv", data)
    assert message.startswith(
        "metadata invalid (generic manifest.csv row 3): ended_at: 'not a time'"
    )


def test_manifest_refuses_unknown_columns_and_duplicates():
    assert "unknown column(s) ['stared_at']" in manifest_error(
        "manifest.csv", b"audio_file,stared_at\na.wav,2026-11-02T10:00:00Z\n"
    )
    row = "a.wav,inbound,2026-11-02T10:00:00Z,2026-11-02T10:01:00Z,a-1\n"
    assert "audio_file 'a.wav' is listed twice" in manifest_error(
        "manifest.csv", (CSV_HEADER + row + row).encode()
    )


def test_manifest_record_errors():
    record = {
        "audio_file": "a.wav",
        "direction": "out",
        "started_at": "2026-11-02T10:00:00Z",
        "ended_at": "2026-11-02T10:01:00Z",
        "agent_id": "a-1",
    }

    def error(**changes) -> str:
        """The error for the record with these changes (None removes a field)."""
        changed = {k: v for k, v in {**record, **changes}.items() if v is not None}
        return manifest_error("manifest.json", json.dumps([changed]).encode())

    assert "record 1): audio_file: '../a.wav' is not a file name" in error(audio_file="../a.wav")
    assert "audio_file: 'a.txt' is not one of" in error(audio_file="a.txt")
    assert "agent_id: missing" in error(agent_id=None)
    assert "consent_mechanism: missing, but ['consent_given'] are set" in error(consent_given=True)
    assert "consent_given: missing" in error(consent_mechanism="keypress")
    both = error(consent={"mechanism": "verbal", "given": True}, consent_given=True)
    assert "consent: given both as an object and as ['consent_given']" in both
    assert "nps: Input should be a valid integer" in error(nps="high")
    assert "expected a JSON list" in manifest_error("manifest.json", b"{}")
    assert "not a manifest" in manifest_error("calls.json", b"[]")


# -- timestamps and directions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-02T09:00:00Z", utc(2026, 11, 2, 9)),
        ("2026-11-02T09:00:00.250Z", utc(2026, 11, 2, 9, 0, 0, 250000)),
        ("2026-11-02T10:00:00+01:00", utc(2026, 11, 2, 9)),
        (1793610000, utc(2026, 11, 2, 9)),  # epoch seconds
        ("1793610000", utc(2026, 11, 2, 9)),
        (1793610000.5, utc(2026, 11, 2, 9, 0, 0, 500000)),
        (1793610000250, utc(2026, 11, 2, 9, 0, 0, 250000)),  # epoch milliseconds
        ("2026-11-02 10:00:00", utc(2026, 11, 2, 9)),  # local winter time, +01:00
        ("2026-07-01 10:00:00", utc(2026, 7, 1, 8)),  # local summer time, +02:00
        ("2026-03-29T01:59:59", utc(2026, 3, 29, 0, 59, 59)),  # last second of winter time
        ("2026-03-29T03:00:00", utc(2026, 3, 29, 1)),  # first of summer time
        ("2026-10-25 01:59:59", utc(2026, 10, 24, 23, 59, 59)),  # last unambiguous summer
        ("2026-10-25 03:00:00", utc(2026, 10, 25, 2)),  # first unambiguous winter
    ],
)
def test_timestamps(raw, expected):
    parsed = coerce_timestamp(raw)
    assert parsed == expected and parsed.tzinfo is not None


def test_local_time_keeps_its_local_offset():
    assert coerce_timestamp("2026-11-02 10:00:00").isoformat() == "2026-11-02T10:00:00+01:00"
    assert coerce_timestamp("2026-07-01 10:00:00").isoformat() == "2026-07-01T10:00:00+02:00"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2026-03-29 02:30:00", "does not exist in Europe/Oslo"),  # clocks jump 02:00 -> 03:00
        ("2026-10-25 02:30:00", "is ambiguous in Europe/Oslo"),  # 02:00-03:00 happens twice
        ("2026-11-02", "is not a timestamp"),  # a date is not a time
        ("yesterday", "is not a timestamp"),
        ("2026-11-02T25:00:00Z", "is not a timestamp"),
        (True, "is not a timestamp"),
        (10**20, "out of range"),
        ([2026, 11, 2], "is not a timestamp"),
    ],
)
def test_bad_timestamps(raw, message):
    with pytest.raises(ValueError, match=message):
        coerce_timestamp(raw)


def test_a_call_across_the_spring_dst_change_keeps_its_real_duration():
    name, export = sample_json("leaddesk")
    export.update(talk_start="2026-03-29 01:58:00", talk_end="2026-03-29 03:01:00")
    call = parse_metadata(name, json.dumps(export).encode(), TENANT)
    assert call.ended_at - call.started_at == timedelta(minutes=3)
    assert call.call_date == date(2026, 3, 29)


def test_a_local_time_in_the_repeated_hour_is_quarantined_with_a_reason():
    name, export = sample_json("leaddesk")
    export.update(talk_start="2026-10-25 02:10:00", talk_end="2026-10-25 02:20:00")
    message = error_of(name, export)
    assert message.startswith("metadata invalid (leaddesk): talk_start: local time")
    assert "ambiguous" in message and "talk_end" in message


def test_late_evening_local_time_lands_on_the_local_date():
    name, export = sample_json("leaddesk")
    export.update(talk_start="2026-11-02 23:59:00", talk_end="2026-11-03 00:04:00")
    call = parse_metadata(name, json.dumps(export).encode(), TENANT)
    assert call.started_at == utc(2026, 11, 2, 22, 59) and call.call_date == date(2026, 11, 2)


#: The words dialers export for each direction (case and surrounding spaces ignored).
DIRECTION_WORDS = {
    Direction.OUTBOUND: ["OUTBOUND", "out", "Outgoing", "utgående"],
    Direction.INBOUND: ["inbound", " Incoming ", "in", "innkommende"],
}


@pytest.mark.parametrize(
    ("word", "direction"),
    [(word, direction) for direction, words in DIRECTION_WORDS.items() for word in words],
)
def test_direction_words(word, direction):
    assert coerce_direction(word) is direction


@pytest.mark.parametrize("word", ["", "both", "internal", 1, None])
def test_unknown_direction_words(word):
    with pytest.raises(ValueError, match="is not a call direction"):
        coerce_direction(word)


# -- the generic CSV manifest round-trips ------------------------------------------------------

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    min_size=1,
    max_size=16,
).filter(lambda s: s.strip() != "")
_optional_text = st.none() | _text
_zones = st.sampled_from(
    [UTC, CALL_TIMEZONE, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]
)
_moments = st.datetimes(
    min_value=datetime(2001, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=_zones,
    allow_imaginary=False,
)
_purposes = st.lists(st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True), max_size=3)


def _fixed(moment: datetime) -> datetime:
    return moment.astimezone(timezone(moment.utcoffset() or timedelta(0)))


@st.composite
def _consents(draw) -> ConsentEvent:
    return ConsentEvent(
        mechanism=draw(st.sampled_from(list(ConsentMechanism))),
        given=draw(st.booleans()),
        at=draw(st.none() | _moments.map(_fixed)),
        prompt_version=draw(_optional_text),
        purposes=draw(_purposes),
        service_conditional=draw(st.booleans()),
        response=draw(_optional_text),
    )


@st.composite
def _calls(draw) -> CallMetadata:
    # Fixed offsets, as the adapters produce them (a named zone's DST fold breaks Python's
    # comparison of two datetimes sharing that zone).
    started = _fixed(draw(_moments))
    mode = draw(st.sampled_from(list(RecordingMode)))
    channel = draw(
        st.sampled_from([0, 1])
        if mode is RecordingMode.STEREO
        else st.none() | st.sampled_from([0, 1])
    )
    return CallMetadata(
        call_id=draw(st.from_regex(CALL_ID_PATTERN, fullmatch=True)),
        dialer=draw(_text),
        direction=draw(st.sampled_from(list(Direction))),
        started_at=started,
        ended_at=_fixed(started + draw(st.timedeltas(timedelta(0), timedelta(hours=3)))),
        agent_id=draw(_text),
        team=draw(_text),
        campaign=draw(_optional_text),
        customer_number=draw(_optional_text),
        language=draw(st.sampled_from(["nb", "nn", "da", "sv", "en"])),
        recording_mode=mode,
        agent_channel=channel,
        consent=draw(st.none() | _consents()),
        outcome=draw(_optional_text),
        nps=draw(st.none() | st.integers(0, 10)),
        lia_reference=draw(_optional_text),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_calls(), max_size=5, unique_by=lambda call: call.call_id))
def test_csv_manifest_round_trip(calls):
    entries = [(f"{call.call_id}.wav", call) for call in calls]
    parsed = parse_manifest("manifest.csv", manifest_csv(entries), AdapterDefaults())
    # Compared as JSON: the same instants with the same offsets (Python never calls a datetime
    # in a DST fold of a named zone equal to one with a fixed offset).
    assert _as_json(parsed) == _as_json(entries)


def _as_json(entries: list[tuple[str, CallMetadata]]) -> list[tuple[str, dict]]:
    return [(audio, call.model_dump(mode="json")) for audio, call in entries]


def test_sample_csv_manifest_round_trips_through_the_writer():
    path = SAMPLES / "generic" / "manifest.csv"
    entries = parse_manifest(path.name, path.read_bytes(), TENANT)
    assert parse_manifest("x.manifest.csv", manifest_csv(entries), AdapterDefaults()) == entries
