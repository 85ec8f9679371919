"""The dbt-duckdb plugin of the DuckLake warehouse (``dbt/profiles.yml``, target ``lake``): it
installs the lake's extensions from their wheels and, when the data path is on S3, creates the
object store's httpfs secret, before dbt-duckdb attaches the lake (``attach:`` in the profile).
Only dbt imports this module."""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from assets.common.lake import create_s3_secret, install_lake_extensions, warehouse_from_environment


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        warehouse = warehouse_from_environment()
        install_lake_extensions(conn)
        if warehouse.data_on_s3:
            create_s3_secret(conn, warehouse.s3)
