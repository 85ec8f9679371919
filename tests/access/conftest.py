"""Access is tested on both warehouses: the DuckDB file and a DuckLake."""

from tests.support.warehouses import warehouse  # noqa: F401
