"""Shared infrastructure, the lowest layer: object storage, the DuckDB catalogue, the call-date
partition, the embedded defaults, the dbt project handle and the rewrite of the catalogue file
(``compaction``).

Nothing here imports a domain, the code location (``orchestration``) or the app (``lydspor``).
"""
