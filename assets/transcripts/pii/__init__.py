"""Personal data (PII) in word-level transcripts: phone, e-mail, card and national ID numbers.

Whisper writes a number read aloud as digits ("91 23 45 67"), digit groups ("912.34.567") or
number words in the call's language ("ni en to tre", "femogtyve", "twenty-two"), split over several
words. ``find_pii`` turns each run of such words into digits, keeps which words they came from,
and accepts a stretch of the run only when a validator accepts it: ``phonenumbers`` for phones,
Luhn plus a card prefix for payment cards, python-stdnum for fødselsnummer, CPR and personnummer.

The reading goes words -> atoms (``tokens``) -> numbers (``reader``, with the number words of
``lexicon``) -> kinds (``classify``: ``validators`` and the cue words of ``context``) -> spans
(``numbers``); e-mail addresses have their own reader (``emails``); ``find`` puts them together.
"""

from assets.transcripts.pii.find import PHONE_REGION, NumberRun, find_pii, number_runs, redact_text
from assets.transcripts.pii.spans import KINDS, PiiSpan

__all__ = [
    "KINDS",
    "PHONE_REGION",
    "NumberRun",
    "PiiSpan",
    "find_pii",
    "number_runs",
    "redact_text",
]
