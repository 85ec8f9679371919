"""Retention windows per object class and legal basis, read from the tenant's policy file."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class PolicyError(ValueError):
    """The policy file is missing or malformed; the message names the file and field."""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like '15m', '36h' or '90d'")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str
    default_purposes: list[str] = Field(min_length=1)
    windows: dict[str, dict[str, timedelta]]

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

    def window(self, object_class: str, legal_basis: str) -> timedelta:
        try:
            return self.windows[object_class][legal_basis]
        except KeyError:
            raise PolicyError(
                f"policy for tenant {self.tenant!r} has no window for "
                f"{object_class!r} under basis {legal_basis!r}"
            ) from None

    def deadline(self, object_class: str, legal_basis: str, created_at: datetime) -> datetime:
        if created_at.tzinfo is None:
            raise ValueError("created_at must be time-zone aware")
        return created_at + self.window(object_class, legal_basis)


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
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise PolicyError(f"policy file {path} is invalid: {fields}") from exc
