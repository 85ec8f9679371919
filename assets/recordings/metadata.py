"""The canonical call record every dialer export is mapped onto.

A landed call is three files side by side under ``landing/<YYYY-MM-DD>/``:
``<call_id>.<wav|flac|mp3>`` (audio), ``<call_id>.json`` (this record) and, for generated
sample calls only, ``<call_id>.truth.json`` (ground-truth turns).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assets.common.settings import CALL_TIMEZONE

CALL_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class RecordingMode(StrEnum):
    STEREO = "stereo"  # agent and customer on separate channels
    AGENT_ONLY = "agent_only"  # the dialer recorded only the agent
    MONO = "mono"  # both voices mixed in one channel


class ConsentMechanism(StrEnum):
    KEYPRESS = "keypress"
    VERBAL = "verbal"
    WEB_FORM = "web_form"
    NONE = "none"


class ConsentEvent(BaseModel):
    """What the dialer recorded when it asked the caller for consent to record."""

    model_config = ConfigDict(extra="forbid")

    mechanism: ConsentMechanism
    given: bool
    at: datetime | None = None
    prompt_version: str | None = None
    purposes: list[str] = Field(default_factory=list)
    #: True when the caller was told the service depends on consenting (makes it invalid).
    service_conditional: bool = False
    #: What the dialer registered: a key ("1"), a word ("ja"), or "timeout"/"silence"/"default".
    response: str | None = None


class CallMetadata(BaseModel):
    """One call as lydspor understands it, whatever dialer it came from."""

    model_config = ConfigDict(extra="forbid")

    call_id: Annotated[str, Field(pattern=CALL_ID_PATTERN.pattern)]
    dialer: str = "generic"
    direction: Direction
    started_at: datetime
    ended_at: datetime
    agent_id: str
    team: str
    campaign: str | None = None
    customer_number: str | None = None
    language: str = Field(pattern=r"^(nb|nn|da|sv|en)$")
    recording_mode: RecordingMode
    #: 0 = left, 1 = right; required for stereo recordings.
    agent_channel: int | None = Field(default=None, ge=0, le=1)
    consent: ConsentEvent | None = None
    outcome: str | None = None
    nps: int | None = Field(default=None, ge=0, le=10)
    #: Reference to the controller's legitimate-interest assessment, where that basis is used.
    lia_reference: str | None = None

    @field_validator("started_at", "ended_at")
    @classmethod
    def _must_be_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone offset")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> CallMetadata:
        # In UTC: datetimes sharing a zone compare on the wall clock, wrong across DST.
        if self.ended_at.astimezone(UTC) < self.started_at.astimezone(UTC):
            raise ValueError("ended_at is before started_at")
        if self.recording_mode is RecordingMode.STEREO and self.agent_channel is None:
            raise ValueError("stereo recordings need agent_channel (0 or 1)")
        return self

    @property
    def call_date(self) -> date:
        return self.started_at.astimezone(CALL_TIMEZONE).date()


class TruthTurn(BaseModel):
    """Ground truth for generated calls: who spoke when, and what was said."""

    speaker: str = Field(pattern=r"^(agent|customer)$")
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
