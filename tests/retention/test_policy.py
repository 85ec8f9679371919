from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from assets.retention.policy import PolicyError, load_policy, parse_duration


def test_default_policy_keeps_customer_audio_minutes_not_days(policy):
    assert policy.window("customer_audio", "legitimate_interest_temporary") <= timedelta(hours=1)
    assert policy.window("customer_audio", "none") <= timedelta(hours=1)
    created = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert policy.deadline("agent_audio", "contract", created) == created + timedelta(days=365)


@pytest.mark.parametrize(
    "text,expected",
    [("15m", timedelta(minutes=15)), ("90d", timedelta(days=90)), ("36h", timedelta(hours=36))],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


def test_unknown_window_is_an_error(policy):
    with pytest.raises(PolicyError, match="no window for 'customer_audio' under basis 'contract'"):
        policy.window("customer_audio", "contract")


def test_naive_created_at_is_refused(policy):
    with pytest.raises(ValueError, match="time-zone aware"):
        policy.deadline("agent_audio", "contract", datetime(2026, 11, 2))


def test_bad_policy_file_names_the_field(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(
        "tenant: x\ndefault_purposes: [coaching]\nwindows:\n  agent_audio:\n    contract: soon\n"
    )
    with pytest.raises(PolicyError, match="windows"):
        load_policy(path)
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "missing.yaml")


def test_isolation_margin_is_configured_and_checked(policy, tmp_path):
    assert policy.isolation.min_confidence == 0.9
    bad = policy.model_dump(mode="json")
    bad["isolation"] = {"min_confidence": 1.5}
    with pytest.raises(ValueError, match="min_confidence"):
        type(policy).model_validate(bad)


def test_every_window_has_an_enforcer_and_the_essential_ones_are_required(policy):
    data = policy.model_dump()
    data["windows"]["call_recordings_backup"] = {"contract": "30d"}
    with pytest.raises(ValueError, match="nothing would enforce"):
        type(policy).model_validate(data)
    for object_class in ("call_metadata", "audit_log", "run_logs"):
        data = policy.model_dump()
        del data["windows"][object_class]
        with pytest.raises(ValueError, match=f"windows.{object_class}.*kept for ever"):
            type(policy).model_validate(data)


def test_expiry_names_a_class_and_an_action(policy):
    data = policy.model_dump()
    data["expiry"] = {"call_metadata": "archive"}
    with pytest.raises(ValueError, match=r"expiry\.call_metadata"):
        type(policy).model_validate(data)
    data["expiry"] = {"call_metadata": "anonymise"}
    assert type(policy).model_validate(data).expiry == {"call_metadata": "anonymise"}


DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "data" / "policies" / "default.yaml"


def _with(change) -> dict:
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    change(data)
    return data


@pytest.mark.parametrize(
    "change,problem",
    [
        (
            lambda d: d["dialers"]["leaddesk"].update(lia_reference="LIA-2026-02"),
            "dialers.leaddesk.lia_reference: LIA 'LIA-2026-02' covers ['quarantine'], "
            "not customer_audio",
        ),
        (
            lambda d: d["dialers"]["default"].update(lia_reference="LIA-MISSING"),
            "dialers.default.lia_reference: LIA 'LIA-MISSING' is not declared",
        ),
        (
            lambda d: d["legitimate_interest_assessments"]["LIA-2026-02"].update(
                covers=["quarantine", "tapes"]
            ),
            "legitimate_interest_assessments.LIA-2026-02.covers: unknown ['tapes']",
        ),
        (
            lambda d: d["legitimate_interest_assessments"].pop("LIA-2026-02"),
            "windows.quarantine.legitimate_interest: no LIA",
        ),
        (
            lambda d: d["dialers"]["genesys"].update(consent_purposes=["marketing"]),
            "dialers.genesys.consent_purposes: ['marketing'] are not declared",
        ),
    ],
)
def test_lia_and_consent_purposes_must_cover_their_use(tmp_path, change, problem):
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(_with(change)))
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert problem in str(refused.value)


def test_the_default_policy_round_trips_through_validation(policy, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(_with(lambda d: None)))
    assert load_policy(path) == policy
