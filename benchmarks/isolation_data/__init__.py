"""Data, scoring and the baseline for ``benchmarks/isolation_real.py`` (no isolator code)."""
