"""Validators: whether digits are a phone number (``phonenumbers``) or a payment card (Luhn
and an issuer prefix). National IDs are checked with python-stdnum in ``classify``."""

from __future__ import annotations

from functools import cache

import phonenumbers
from stdnum import luhn

#: Longest digit string considered (a 19-digit card); longer stretches are never one number.
MAX_DIGITS = 19


@cache
def region_prefix(region: str) -> tuple[str | None, str]:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ValueError(f"unknown phone region {region!r}")
    return meta.national_prefix, str(meta.country_code)


def phone_e164(digits: str, plus: bool, region: str) -> str | None:
    """E.164 form of a valid phone number, else None."""
    if not 8 <= len(digits) <= 15:
        return None
    if plus:
        text, parse_region = "+" + digits, None
    else:
        trunk, country_code = region_prefix(region)
        # Where national numbers start with a mandatory trunk "0" (SE, GB), a number without it
        # is most likely not a phone number, although phonenumbers accepts it.
        if trunk == "0" and not digits.startswith("0") and not digits.startswith(country_code):
            return None
        text, parse_region = digits, region
    try:
        number = phonenumbers.parse(text, parse_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _card_prefix_ok(digits: str) -> bool:
    """Whether a number has the issuer prefix and length of a payment card scheme."""
    n = len(digits)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return n == 16
    if two in (34, 37):  # American Express
        return n == 15
    if four == 6011 or two in (62, 65) or 644 <= three <= 649:  # Discover, UnionPay
        return 16 <= n <= 19
    if 3528 <= four <= 3589:  # JCB
        return 16 <= n <= 19
    if 300 <= three <= 305 or two in (36, 38, 39):  # Diners
        return 14 <= n <= 19
    if two == 50 or 56 <= two <= 69:  # Maestro, Dankort (5019)
        return 13 <= n <= 19
    return False


def is_card(digits: str) -> bool:
    return 13 <= len(digits) <= MAX_DIGITS and _card_prefix_ok(digits) and luhn.is_valid(digits)
