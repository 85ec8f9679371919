"""Deterministic sample calls with synthetic speech, for demos and end-to-end tests."""

from assets.recordings.samples.generator import SampleCall, generate_sample_calls

__all__ = ["SampleCall", "generate_sample_calls"]
