"""Rendering: the inverse of an adapter, for the sample exports and the round-trip tests."""

from __future__ import annotations

from datetime import UTC, datetime

from assets.common.settings import CALL_TIMEZONE
from assets.recordings.dialers.base import CONSENT_AT_FIELD, CONSENT_KEY_FIELD, CONSENT_PROMPT_FIELD
from assets.recordings.metadata import ConsentEvent, ConsentMechanism


def utc_iso(value: datetime) -> str:
    """An instant as an API writes it: UTC, ``Z``, milliseconds where there are any."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix(".000+00:00").removesuffix("+00:00") + "Z"


def local_wall_clock(value: datetime) -> str:
    """An instant as a dialer without offsets writes it: local time in CALL_TIMEZONE."""
    text = value.astimezone(CALL_TIMEZONE).replace(tzinfo=None).isoformat(" ", "milliseconds")
    return text.removesuffix(".000")


def keypress_of(consent: ConsentEvent | None, dialer: str) -> ConsentEvent | None:
    """The consent event a keypress-logging export can carry: a keypress with its key."""
    if consent is None:
        return None
    if consent.mechanism is not ConsentMechanism.KEYPRESS or consent.response is None:
        raise ValueError(
            f"{dialer} logs consent as the key pressed: a {consent.mechanism.value} consent "
            f"without a key ({consent.response!r}) cannot be exported"
        )
    return consent


def consent_custom_data(consent: ConsentEvent | None, dialer: str) -> dict[str, str]:
    """lydspor's consent keys in a dialer's free-form per-call data (read back by
    consent_from_custom_data)."""
    consent = keypress_of(consent, dialer)
    if consent is None:
        return {}
    data = {CONSENT_KEY_FIELD: consent.response}
    if consent.at is not None:
        data[CONSENT_AT_FIELD] = utc_iso(consent.at)
    if consent.prompt_version is not None:
        data[CONSENT_PROMPT_FIELD] = consent.prompt_version
    return data
