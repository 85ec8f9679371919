"""The spoken PII benchmark's parts: sentence generator, speech, calls, real clips, scoring."""
