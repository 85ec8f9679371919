"""Checksums and numbering plans: they raise confidence and pick a kind; they never gate.

``phonenumbers`` for phones; Luhn plus an issuer prefix for payment cards; python-stdnum for
Norwegian fødselsnummer (two mod-11 digits), Danish CPR (a date; the pre-2007 mod-11 check
raises confidence), Swedish personnummer (date + Luhn) and Norwegian bank account numbers
(mod 11); IBAN for any country.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
from stdnum import iban, luhn
from stdnum.dk import cpr
from stdnum.no import fodselsnummer, kontonr
from stdnum.se import personnummer

#: Phone region per transcript language.
PHONE_REGION = {"nb": "NO", "nn": "NO", "no": "NO", "da": "DK", "sv": "SE", "en": "GB"}
#: The national ID of each language's country.
HOME_ID = {"nb": "no_fnr", "nn": "no_fnr", "no": "no_fnr", "da": "dk_cpr", "sv": "se_pnr"}


@cache
def region_info(region: str) -> tuple[str | None, str]:
    """(national trunk prefix, country calling code) of a phone region."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ValueError(f"unknown phone region {region!r}")
    return meta.national_prefix, str(meta.country_code)


def phone(digits: str, plus: bool, region: str) -> str | None:
    """E.164 form of a valid phone number, else None."""
    if not 7 <= len(digits) <= 15:
        return None
    if digits.startswith("00") and not plus:
        digits, plus = digits[2:], True
    try:
        number = phonenumbers.parse(("+" if plus else "") + digits, None if plus else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def card_prefix(digits: str) -> bool:
    """Whether the digits start like a payment card of some scheme (any length 12-19)."""
    if len(digits) < 4:
        return False
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    return (
        digits[0] == "4"
        or 51 <= two <= 55
        or 2221 <= four <= 2720
        or two in (34, 37, 36, 38, 39, 62, 65, 50)
        or four == 6011
        or 644 <= three <= 649
        or 3528 <= four <= 3589
        or 300 <= three <= 305
        or 56 <= two <= 69
    )


def card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and card_prefix(digits) and luhn.is_valid(digits)


def no_fnr(digits: str) -> bool:
    return len(digits) == 11 and fodselsnummer.is_valid(digits)


def dk_cpr_date(digits: str) -> bool:
    """Ten digits starting with a valid date (all python-stdnum checks since 2007)."""
    return len(digits) == 10 and cpr.is_valid(digits)


def dk_cpr_checksum(digits: str) -> bool:
    """The pre-2007 mod-11 check: most CPR numbers still pass it."""
    return dk_cpr_date(digits) and cpr.checksum(digits) == 0


def se_pnr(digits: str) -> bool:
    return len(digits) in (10, 12) and personnummer.is_valid(digits)


def no_account(digits: str) -> bool:
    return len(digits) == 11 and kontonr.is_valid(digits)


def iban_ok(text: str) -> bool:
    return 15 <= len(text) <= 34 and iban.is_valid(text)


def strong_kinds(digits: str, plus: bool, region: str) -> dict[str, str]:
    """Every kind whose checksum or numbering plan the digits pass: {kind: normalized}."""
    found: dict[str, str] = {}
    if not plus:
        if no_fnr(digits):
            found["no_fnr"] = digits
        if se_pnr(digits):
            found["se_pnr"] = digits
        if dk_cpr_checksum(digits):
            found["dk_cpr"] = digits
        if card(digits):
            found["card"] = digits
        if no_account(digits) and "no_fnr" not in found:
            found["account"] = digits
    trunk, code = region_info(region)
    # Where national numbers start with a trunk "0" (SE, GB), digits without it are rarely a
    # phone, although phonenumbers accepts them.
    trunk_ok = plus or trunk != "0" or digits.startswith(("0", code))
    if trunk_ok and (e164 := phone(digits, plus, region)):
        found["phone"] = e164
    return found
