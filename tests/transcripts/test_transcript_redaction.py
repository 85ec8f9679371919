"""Redacted transcripts, muted agent audio, language choice and spoken-consent evidence:
the logic without a speech model."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from assets.agent_audio.extract import AGENT_AUDIO_SCHEMA, AGENT_AUDIO_TABLE
from assets.common.warehouse import ensure_table, upsert
from assets.recordings.probe import encode_wav, read_audio
from assets.retention.deletion import DeletionError
from assets.retention.ledger import StoredObject, alive_object, register
from assets.retention.policy import RetentionPolicy
from assets.transcripts.assets import ensure_transcript_tables
from assets.transcripts.engines import Transcript, Word
from assets.transcripts.language import choose_language
from assets.transcripts.muting import (
    MuteInterval,
    mute,
    mute_intervals,
    replace_many_with_muted,
)
from assets.transcripts.pii import find_pii
from assets.transcripts.post_processing import pii_spans_of
from assets.transcripts.redaction import TrackInfo, segments_frame, words_frame
from assets.transcripts.tables import SEGMENTS_SCHEMA, WORDS_SCHEMA
from assets.transcripts.verbal_consent import find_verbal_consent, read_answer


def _words(text: str, start: float = 0.0, step: float = 0.4) -> list[Word]:
    return [
        Word(token, round(start + i * step, 3), round(start + i * step + 0.3, 3), 0.9, 0)
        for i, token in enumerate(text.split())
    ]


TRACK = TrackInfo("c1", date(2026, 11, 2), "agent", "contract", ["coaching"])
SAID = "Skal jeg sende tilbudet til 912 34 567? Ha en fin dag."


def test_redacted_words_keep_times_and_lose_the_personal_data():
    words = _words(SAID)
    spans = find_pii(words, "nb")
    assert [s.kind for s in spans] == ["phone"]
    transcript = Transcript("nb", 6.0, words)
    plain = words_frame(transcript, spans, TRACK, redacted=False)
    redacted = words_frame(transcript, spans, TRACK, redacted=True)
    assert plain.schema == WORDS_SCHEMA == redacted.schema
    assert plain["word"].to_list() == [w.word for w in words]
    assert redacted["word"].to_list()[5:8] == ["[phone]"] * 3
    assert not any(ch.isdigit() for ch in " ".join(redacted["word"].to_list()))
    assert redacted["start_s"].to_list() == plain["start_s"].to_list()
    assert redacted["redacted"].sum() == 3 and plain["redacted"].sum() == 0
    assert set(redacted["speaker_role"]) == {"agent"}
    segments = segments_frame(redacted)
    assert segments.schema == SEGMENTS_SCHEMA
    assert segments["text"][0] == "Skal jeg sende tilbudet til [phone] Ha en fin dag."
    # Muted 0.4 s beyond the words (ASR word times drift), into the 0.1 s gaps between words.
    assert pii_spans_of(redacted) == [(words[5].start - 0.4, words[7].end + 0.4, "phone")]


def test_muting_zeroes_the_spans_and_nothing_else():
    rate = 8000
    samples = (np.random.default_rng(1).uniform(-0.5, 0.5, (rate * 3, 1))).astype(np.float32)
    intervals = mute_intervals([(1.0, 1.5, "phone"), (1.6, 1.8, "phone")], 0.1, 3.0)
    assert intervals == [MuteInterval(0.9, 1.9, "phone")]  # padded and merged
    out = mute(samples, rate, intervals)
    inside = slice(int(0.9 * rate), int(1.9 * rate))
    assert not out[inside].any()
    outside = np.ones(len(samples), bool)
    outside[inside] = False
    assert np.array_equal(out[outside], samples[outside])
    assert samples[inside].any()  # the input is untouched


def test_padding_is_clipped_to_the_audio():
    assert mute_intervals([(0.05, 0.2, "email"), (2.9, 3.2, "card")], 0.2, 3.0) == [
        MuteInterval(0.0, 0.4, "email"),
        MuteInterval(2.7, 3.0, "card"),
    ]


def _store_agent_audio(catalog, store, key, data, created, sha256, call_id="c1") -> None:
    """A call's agent audio, in the ledger (contract, 365 days), the store and the catalogue."""
    register(
        catalog,
        StoredObject(
            key, call_id, date(2026, 11, 2), "agent_audio", "agent_audio", "contract",
            ["coaching"], sha256, len(data), created, created + timedelta(days=365),
        ),
    )  # fmt: skip
    store.put_bytes(key, data)
    ensure_table(catalog, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
    catalog.execute(
        f"insert into {AGENT_AUDIO_TABLE} (call_id, call_date, status, agent_key) "
        "values (?, '2026-11-02', 'extracted', ?)",
        [call_id, key],
    )


def test_muted_copy_replaces_the_agent_audio_with_the_same_deadline(local_store, catalog):
    rate = 8000
    original = np.random.default_rng(2).uniform(-0.5, 0.5, (rate * 4, 1)).astype(np.float32)
    data = encode_wav(original, rate)
    source = "agent/2026-11-02/c1/agent.wav"
    created = datetime(2026, 11, 2, 9, tzinfo=UTC)
    _store_agent_audio(
        catalog, local_store, source, data, created, hashlib.sha256(data).hexdigest()
    )
    ensure_transcript_tables(catalog)
    rows = replace_many_with_muted(
        local_store, catalog, [("c1", source, [(1.0, 2.0, "no_fnr")])], 0.25
    )

    muted_key = rows["muted_key"][0]
    assert rows["start_s"].to_list() == [0.75] and rows["end_s"].to_list() == [2.25]
    muted, muted_rate = read_audio(local_store.get_bytes(muted_key))
    kept, _ = read_audio(data)  # the original as stored (16-bit)
    assert muted_rate == rate and muted.shape == kept.shape
    inside = slice(int(0.75 * rate), int(2.25 * rate))
    assert not muted[inside].any()
    outside = np.ones(len(kept), bool)
    outside[inside] = False
    assert np.array_equal(muted[outside], kept[outside])
    # The unmuted original is gone, through the retention engine, with a receipt.
    assert local_store.stat(source) is None and alive_object(catalog, source) is None
    receipt = catalog.execute(
        "select receipt_id, verified_absent from raw.deletion_receipts where object_key = ?",
        [source],
    ).fetchone()
    assert receipt == (rows["receipt_id"][0], True)
    new = alive_object(catalog, muted_key)
    assert new["deadline"] == created + timedelta(days=365)  # muting never extends retention
    assert new["object_class"] == "agent_audio"
    assert catalog.execute(
        f"select agent_key from {AGENT_AUDIO_TABLE} where call_id = 'c1'"
    ).fetchone() == (muted_key,)
    assert catalog.execute("select count(*) from raw.audio_redactions").fetchone() == (1,)


def test_language_from_metadata_wins_and_detection_is_restricted():
    def never():
        raise AssertionError("detection must not run when the metadata names the language")

    assert choose_language("da", ["nb"], never).source == "metadata"
    guesses = {"de": 0.6, "sv": 0.25, "no": 0.1, "en": 0.05}
    chosen = choose_language(None, ["nb", "sv", "en"], lambda: guesses)
    assert (chosen.language, chosen.source) == ("sv", "detected")
    assert chosen.probability == pytest.approx(0.25 / 0.4, abs=1e-3)
    assert choose_language(None, ["nb", "en"], lambda: guesses).language == "nb"
    with pytest.raises(ValueError, match="not one lydspor transcribes"):
        choose_language("de", ["nb"], never)
    with pytest.raises(ValueError, match="subset"):
        choose_language(None, ["de"], lambda: guesses)


def test_policy_languages_must_be_supported(policy):
    raw = policy.model_dump()
    raw["transcription"]["languages"] = ["nb", "fi"]
    with pytest.raises(ValueError, match="unsupported languages"):
        RetentionPolicy.model_validate(raw)
    assert policy.transcription.verbal_consent.counts_as_consent is False


@pytest.mark.parametrize(
    ("language", "question", "answer", "verdict"),
    [
        ("en", "Is it okay that we record this call?", "Yes, that's fine.", "yes"),
        ("en", "Do you mind if we record the call?", "No problem.", "yes"),
        ("en", "May I record this call for training?", "No, I'd rather not.", "no"),
        ("nb", "Er det greit at vi tar opp samtalen?", "Ja, det går fint.", "yes"),
        ("nb", "Kan vi gjøre opptak av samtalen?", "Nei takk.", "no"),
        ("nn", "Er det greitt at vi tek opp samtalen?", "Ja.", "yes"),
        ("da", "Er det i orden at vi optager samtalen?", "Nej tak.", "no"),
        ("sv", "Går det bra att vi spelar in samtalet?", "Ja, absolut.", "yes"),
        ("sv", "Får vi spela in samtalet?", "Ja, nej, jag vet inte.", "unclear"),
    ],
)
def test_consent_question_and_answer_per_language(language, question, answer, verdict):
    agent = _words("Hei. " + question + " Takk.")
    customer = _words(answer, start=agent[-1].end + 0.2)
    evidence = find_verbal_consent(agent, customer, language)
    assert evidence is not None
    assert evidence.question_text == question
    assert evidence.answer == verdict and evidence.answer_text == answer
    assert evidence.question_end_s < evidence.answer_start_s


def test_no_question_means_no_evidence_and_no_customer_words_means_not_heard():
    assert find_verbal_consent(_words("Hello. How can I help?"), _words("Yes."), "en") is None
    # "record" without a question or a request for permission is no consent question.
    assert find_verbal_consent(_words("We record all calls."), None, "en") is None
    heard = find_verbal_consent(_words("Can we record this call?"), None, "en")
    assert heard is not None and heard.answer == "not_heard" and heard.answer_text is None


def test_question_after_the_window_is_not_used():
    agent = _words("Hello there. " * 20 + "Can we record this call?")
    assert find_verbal_consent(agent, None, "en", window_s=5) is None


def test_longer_phrases_decide_the_answer():
    assert read_answer("No problem at all", "en") == "yes"
    assert read_answer("Nei, helst ikke", "nb") == "no"
    assert read_answer("Hmm", "da") == "unclear"


def test_the_words_suite_fails_on_unmasked_personal_data():
    from assets.transcripts.settings import SUPPORTED_LANGUAGES
    from expectations.runner import validate_frame
    from expectations.transcripts import transcript_words_frame, transcript_words_suite

    words = _words(SAID)
    spans = find_pii(words, "nb")
    transcript = Transcript("nb", 6.0, words)
    redacted = words_frame(transcript, spans, TRACK, redacted=True)
    assert validate_frame(
        transcript_words_frame(redacted), transcript_words_suite(SUPPORTED_LANGUAGES)
    ).success
    plain = words_frame(transcript, spans, TRACK, redacted=False)
    result = validate_frame(
        transcript_words_frame(plain), transcript_words_suite(SUPPORTED_LANGUAGES)
    )
    assert not result.success
    assert [(f.column, f.unexpected_count) for f in result.failed] == [("masked_or_clean", 3)]


def test_pending_muting_waits_for_a_legal_hold(local_store, catalog):
    from assets.retention.holds import place_hold, release_hold
    from assets.retention.tables import ensure_compliance_tables
    from assets.transcripts.post_processing import mute_pending_agent_audio

    ensure_compliance_tables(catalog)
    ensure_transcript_tables(catalog)
    rate = 8000
    data = encode_wav(np.full((rate * 3, 1), 0.25, np.float32), rate)
    source, created = "agent/2026-11-02/c1/agent.wav", datetime(2026, 11, 2, 9, tzinfo=UTC)
    _store_agent_audio(catalog, local_store, source, data, created, sha256=None)
    words = words_frame(
        Transcript("nb", 3.0, _words(SAID, step=0.2)), find_pii(_words(SAID), "nb"), TRACK,
        redacted=True,
    )  # fmt: skip
    upsert(catalog, "raw.transcript_words", words, ["call_id", "track", "word_index"])
    window = (date(2026, 11, 2), date(2026, 11, 3))
    hold = place_hold(catalog, "call", "c1", "dispute", "dpo")
    assert mute_pending_agent_audio(local_store, catalog, *window, 0.1) == 0
    assert local_store.stat(source) is not None
    release_hold(catalog, hold.hold_id, "dpo", "settled")
    assert mute_pending_agent_audio(local_store, catalog, *window, 0.1) == 1
    assert local_store.stat(source) is None
    assert mute_pending_agent_audio(local_store, catalog, *window, 0.1) == 0  # done once


def _two_calls_to_mute(local_store, catalog) -> list[tuple[str, str, list]]:
    rate, created = 8000, datetime(2026, 11, 2, 9, tzinfo=UTC)
    jobs = []
    for call_id, level in (("c1", 0.25), ("c2", -0.25)):
        data = encode_wav(np.full((rate * 3, 1), level, np.float32), rate)
        key = f"agent/2026-11-02/{call_id}/agent.wav"
        _store_agent_audio(catalog, local_store, key, data, created, None, call_id=call_id)
        jobs.append((call_id, key, [(1.0, 1.5, "phone")]))
    ensure_transcript_tables(catalog)
    return jobs


def test_muting_many_calls_deletes_each_original_with_its_own_receipt(local_store, catalog):
    jobs = _two_calls_to_mute(local_store, catalog)
    rows = replace_many_with_muted(local_store, catalog, jobs, 0.1)
    assert rows["call_id"].to_list() == ["c1", "c2"]
    assert len(set(rows["receipt_id"])) == 2
    for call_id, source, _ in jobs:
        row = rows.filter(rows["call_id"] == call_id)
        assert local_store.stat(source) is None and alive_object(catalog, source) is None
        receipt = catalog.execute(
            "select receipt_id from raw.deletion_receipts where object_key = ?", [source]
        ).fetchone()
        assert receipt == (row["receipt_id"][0],)
        muted, rate = read_audio(local_store.get_bytes(row["muted_key"][0]))
        assert not muted[int(0.9 * rate) : int(1.6 * rate)].any() and muted[: int(0.9 * rate)].all()
        agent_key = catalog.execute(
            f"select agent_key from {AGENT_AUDIO_TABLE} where call_id = ?", [call_id]
        ).fetchone()[0]
        assert agent_key == row["muted_key"][0]


def test_a_failed_deletion_still_points_at_the_copies_already_replacing(
    local_store, catalog, monkeypatch
):
    jobs = _two_calls_to_mute(local_store, catalog)
    remove = local_store.remove
    # c2's original survives its removal: the store refuses silently.
    monkeypatch.setattr(local_store, "remove", lambda key: None if "/c2/" in key else remove(key))
    with pytest.raises(DeletionError, match="c2"):
        replace_many_with_muted(local_store, catalog, jobs, 0.1)
    pointed = dict(
        catalog.execute(f"select call_id, agent_key from {AGENT_AUDIO_TABLE}").fetchall()
    )
    # c1's original is gone, so its row moved to the copy; c2's original is still there.
    assert pointed == {"c1": "agent/2026-11-02/c1/agent.muted.wav", "c2": jobs[1][1]}
    redactions = catalog.execute("select call_id from raw.audio_redactions").fetchall()
    assert redactions == [("c1",)]
