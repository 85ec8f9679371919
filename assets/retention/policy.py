"""The tenant's policy: purposes, legal bases, LIA references and retention windows.

A policy file is YAML validated here; a bad file fails with the file and field named, before
anything is stored or deleted on its account.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assets.agent_audio.settings import IsolationPolicy
from assets.recordings.dialers.base import AdapterDefaults
from assets.transcripts.settings import TranscriptionSettings

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

#: Every class of data with a retention window, and what enforces it. A window for a class not
#: listed here would be enforced by nothing, so the policy is refused.
ENFORCERS = {
    "customer_audio": "the sweep deletes the object (extraction deletes it earlier)",
    "agent_audio": "the sweep deletes the object; copies.purge its rows",
    "transcript": "the sweep deletes the unredacted object",
    "redacted_transcript": "the sweep deletes the objects; copies.purge words, segments, marts",
    "call_metadata": "the sweep deletes the call's rows entry; copies.purge its rows and marts",
    "audit_log": "the sweep prunes older entries from a checkpoint (audit.prune)",
    "quarantine": "the sweep deletes the object; copies.purge its row",
    "landing": "the sweep deletes a file left in landing/",
    "voiceprint": "the sweep deletes the object; copies.purge its row",
    "run_logs": "the sweep deletes older Dagster runs, their event and compute logs",
}
OBJECT_CLASSES = set(ENFORCERS)
#: Windows every policy must give: without one, that data would be kept for ever.
REQUIRED_WINDOWS = {
    "call_metadata": "contract",
    "audit_log": "legal_obligation",
    "run_logs": "legitimate_interest",
}
#: What the sweep does with a row whose owner expired: ``delete`` it, or ``anonymise`` it (its
#: personal columns nulled, the row kept for statistics; see assets/retention/copies.py).
EXPIRY_ACTIONS = {"delete", "anonymise"}
LEGAL_BASES = {
    "contract",
    "consent",
    "legitimate_interest",
    "legitimate_interest_temporary",
    "legal_obligation",
    "none",
    "in_transit",
}
#: Temporary legitimate interest on customer audio is for minutes of processing, not storage.
MAX_TEMPORARY_WINDOW = timedelta(hours=24)


class PolicyError(ValueError):
    """The policy file is missing or malformed; the message names the file and field."""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like '15m', '36h' or '90d'")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class LegitimateInterestAssessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    covers: list[str] = Field(min_length=1)


class ErasurePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Where an erased call's row survives (``expiry: anonymise``), keep the number's keyed
    #: pseudonym in it, for de-duplication only (the request itself always names it so).
    keep_phone_hash: bool = False


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str
    purposes: dict[str, str] = Field(min_length=1)
    #: Purposes of the agent's track (the employment contract's).
    default_purposes: list[str] = Field(min_length=1)
    legitimate_interest_assessments: dict[str, LegitimateInterestAssessment] = Field(
        default_factory=dict
    )
    #: Which purposes a row must carry to appear in each mart.
    mart_purposes: dict[str, list[str]] = Field(default_factory=dict)
    erasure: ErasurePolicy = Field(default_factory=ErasurePolicy)
    #: Per dialer (or "default"): values the dialer's export does not carry.
    dialers: dict[str, AdapterDefaults] = Field(default_factory=dict)
    windows: dict[str, dict[str, timedelta]]
    #: Per class, what happens to its rows when it expires (default ``delete``).
    expiry: dict[str, str] = Field(default_factory=dict)
    #: Languages, PII muting and verbal-consent evidence (see assets/transcripts/settings.py).
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)
    #: Agent isolation on mono recordings: the confidence margin.
    isolation: IsolationPolicy = Field(default_factory=IsolationPolicy)

    @field_validator("windows", mode="before")
    @classmethod
    def _parse_windows(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {
            object_class: {
                basis: parse_duration(str(window)) if isinstance(window, str | int) else window
                for basis, window in (by_basis or {}).items()
            }
            for object_class, by_basis in value.items()
        }

    @model_validator(mode="after")
    def _consistent(self) -> RetentionPolicy:
        for where, names in [
            ("default_purposes", self.default_purposes),
            *((f"mart_purposes.{mart}", names) for mart, names in self.mart_purposes.items()),
        ]:
            unknown = sorted(set(names) - set(self.purposes))
            if unknown:
                raise ValueError(f"{where}: purposes {unknown} are not declared under purposes")
        for object_class, by_basis in self.windows.items():
            if object_class not in OBJECT_CLASSES:
                raise ValueError(
                    f"windows.{object_class}: no class of that name, so nothing would enforce "
                    f"this window (classes: {sorted(OBJECT_CLASSES)})"
                )
            for basis, window in by_basis.items():
                if basis not in LEGAL_BASES:
                    raise ValueError(f"windows.{object_class}.{basis}: unknown legal basis")
                if window < timedelta(0):
                    raise ValueError(f"windows.{object_class}.{basis}: negative window")
                if (
                    basis.startswith("legitimate_interest")
                    and not self.legitimate_interest_assessments
                ):
                    raise ValueError(
                        f"windows.{object_class}.{basis}: legitimate interest is used, so "
                        "legitimate_interest_assessments must reference the controller's LIA"
                    )
        temporary = self.windows.get("customer_audio", {}).get("legitimate_interest_temporary")
        if temporary is not None and temporary > MAX_TEMPORARY_WINDOW:
            raise ValueError(
                "windows.customer_audio.legitimate_interest_temporary: customer audio held under "
                "temporary legitimate interest must be kept for minutes, not days"
            )
        for object_class, action in self.expiry.items():
            if object_class not in OBJECT_CLASSES or action not in EXPIRY_ACTIONS:
                raise ValueError(
                    f"expiry.{object_class}: must be a class of windows and one of "
                    f"{sorted(EXPIRY_ACTIONS)}, not {action!r}"
                )
        for object_class, basis in REQUIRED_WINDOWS.items():
            if basis not in self.windows.get(object_class, {}):
                raise ValueError(
                    f"windows.{object_class}.{basis}: required (without it that data would be "
                    "kept for ever)"
                )
        return self

    @model_validator(mode="after")
    def _lias_cover_their_uses(self) -> RetentionPolicy:
        problems = lia_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def window(self, object_class: str, legal_basis: str) -> timedelta:
        try:
            return self.windows[object_class][legal_basis]
        except KeyError:
            raise PolicyError(
                f"policy for tenant {self.tenant!r} has no window for "
                f"{object_class!r} under basis {legal_basis!r}"
            ) from None

    def deadline(
        self,
        object_class: str,
        legal_basis: str,
        created_at: datetime,
        now: datetime | None = None,
    ) -> datetime:
        """When the object must be gone. Windows are absolute durations (a "day" is 24 h, so
        DST never stretches one); a created_at in the future (clock skew) counts from ``now``."""
        if created_at.tzinfo is None or (now is not None and now.tzinfo is None):
            raise ValueError("created_at must be time-zone aware")
        start = min(created_at, now) if now is not None else created_at
        # In UTC: Python adds a timedelta to a zoned datetime on the wall clock, which would
        # make a window across a DST change an hour too long or short.
        return start.astimezone(UTC) + self.window(object_class, legal_basis)

    def allows_mart(self, mart: str, purposes: list[str]) -> bool:
        needed = self.mart_purposes.get(mart)
        return needed is None or bool(set(needed) & set(purposes))

    def dialer_defaults(self, dialer: str | None) -> AdapterDefaults:
        return (
            self.dialers.get(dialer or "generic")
            or self.dialers.get("default")
            or (AdapterDefaults())
        )

    def knows_lia(self, reference: str | None) -> bool:
        return reference is not None and reference in self.legitimate_interest_assessments

    def lia_gap(self, reference: str | None, object_class: str) -> str | None:
        """Why ``reference`` is no basis for holding ``object_class``; None when its LIA
        covers the class."""
        if reference is None:
            return "no LIA reference"
        lia = self.legitimate_interest_assessments.get(reference)
        if lia is None:
            return f"LIA {reference!r} is not declared under legitimate_interest_assessments"
        if object_class not in lia.covers:
            return f"LIA {reference!r} covers {sorted(lia.covers)}, not {object_class}"
        return None


def lia_problems(policy: RetentionPolicy) -> list[str]:
    """Every use of legitimate interest the policy's LIAs do not cover, and every consent
    purpose a dialer would record that the policy does not declare."""
    problems = []
    for ref, lia in policy.legitimate_interest_assessments.items():
        unknown = sorted(set(lia.covers) - OBJECT_CLASSES)
        if unknown:
            problems.append(f"legitimate_interest_assessments.{ref}.covers: unknown {unknown}")
    for object_class, by_basis in policy.windows.items():
        covered = any(
            object_class in lia.covers for lia in policy.legitimate_interest_assessments.values()
        )
        for basis in by_basis:
            if basis.startswith("legitimate_interest") and not covered:
                problems.append(
                    f"windows.{object_class}.{basis}: no LIA under legitimate_interest_assessments "
                    f"covers {object_class}"
                )
    for dialer, defaults in policy.dialers.items():
        # A dialer's LIA is the basis for holding the customer's voice on outbound calls.
        gap = (
            policy.lia_gap(defaults.lia_reference, "customer_audio")
            if defaults.lia_reference is not None
            else None
        )
        if gap:
            problems.append(f"dialers.{dialer}.lia_reference: {gap}")
        undeclared = sorted(set(defaults.consent_purposes) - set(policy.purposes))
        if undeclared:
            problems.append(
                f"dialers.{dialer}.consent_purposes: {undeclared} are not declared under purposes"
            )
    return problems


def load_policy(path: Path | str) -> RetentionPolicy:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {path} is not valid YAML: {exc}") from exc
    try:
        return RetentionPolicy.model_validate(raw)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'policy'}: {err['msg']}"
            for err in exc.errors()
        )
        raise PolicyError(f"policy file {path} is invalid: {fields}") from exc
