"""The tenant's isolation settings (the policy file's ``isolation:`` block)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IsolationPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Speech the agent model is less sure of than this is silenced (never transcribed), and a
    #: call whose agent cluster is less sure than this is flagged for review.
    min_confidence: float = Field(default=0.9, gt=0, lt=1)
