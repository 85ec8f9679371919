"""Shared infrastructure, the lowest layer: object storage, the DuckDB catalogue, the call-date
partition, the embedded defaults and the dbt project handle.

Nothing here imports a domain, the code location (``orchestration``) or the app (``lydspor``).
"""
