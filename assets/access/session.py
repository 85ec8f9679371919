"""Role-scoped read sessions over the catalogue.

DuckDB has no row-level security, so a session is an in-memory database holding a copy of
exactly what the principal may see: the warehouse (the DuckDB file or the DuckLake) is opened
read-only through ``lake.connect``, the marts are copied through the principal's filters into
``memory``, the warehouse is detached, and external access is switched off and locked. Nothing
in the session can reach the warehouse again (file, lake catalogue or Parquet), whatever SQL
runs.
Word-level transcripts are never copied: they are read one call at a time through
``assets.access.reads``, which writes each read to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.access.catalogue import connect_reading, require_catalogue
from assets.access.policy import AccessPolicy, Principal, Role
from assets.common.lake import S3_SECRET, Warehouse
from assets.common.warehouse import first_column

#: The dbt schema; staging and intermediate models are internal, the rest are marts and seeds.
MART_SCHEMA = "main"
INTERNAL_PREFIXES = ("stg_", "int_")
#: Compliance tables owners, admins and compliance officers can query (``compliance.<name>``);
#: a compliance officer's session holds these and no marts.
COMPLIANCE_TABLES = (
    "stored_objects",
    "deletion_receipts",
    "retention_state",
    "legal_holds",
    "audit_log",
    "erasure_requests",
    "quarantine",
    "consent_lineage",
)
#: A column holding transcript words marks a table as transcript content.
TRANSCRIPT_COLUMN = "word"


@dataclass(frozen=True)
class ExposedTable:
    name: str
    rows: int
    scope: str  # "all", "team", "own calls" or "reference"


@dataclass(frozen=True)
class Session:
    """An open scoped session: query ``con``; ``tables`` says what it holds and how scoped."""

    con: duckdb.DuckDBPyConnection
    principal: Principal
    tables: tuple[ExposedTable, ...]

    def sql(self, query: str):
        return self.con.sql(query)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    """The columns of the warehouse's (the default catalogue's) ``schema.table``."""
    return set(
        first_column(
            con,
            "select column_name from information_schema.columns "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, table],
        )
    )


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """The tables and views of the warehouse's (the default catalogue's) ``schema``."""
    return first_column(
        con,
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? order by table_name",
        [schema],
    )


def _scope_filter(
    table: str, columns: set[str], principal: Principal, policy: AccessPolicy
) -> tuple[str, str] | None:
    """The WHERE clause that limits ``table`` to the principal, or None to leave it out."""
    if principal.sees_all_teams:
        return "true", "all"
    own_calls_only = principal.role is Role.AGENT and table not in policy.agent_team_marts
    if {"dimension", "dimension_value"} <= columns:
        # Long-format aggregates (NPS by agent/team/tracker): only the principal's own groups;
        # overall and per-tracker rows pool every team's calls.
        if own_calls_only:
            return (
                "dimension = 'agent' and dimension_value = "
                "(select agent_id from memory.main.scope_principal)",
                "own calls",
            )
        return (
            "(dimension = 'team' and dimension_value in "
            "(select team from memory.main.scope_teams)) or "
            "(dimension = 'agent' and dimension_value in "
            "(select agent_id from memory.main.scope_calls))",
            "team",
        )
    if own_calls_only and "agent_id" in columns:
        return "agent_id = (select agent_id from memory.main.scope_principal)", "own calls"
    if own_calls_only and "call_id" in columns:
        return "call_id in (select call_id from memory.main.scope_calls where own)", "own calls"
    if own_calls_only and "team" in columns:
        # A team-level aggregate pools colleagues' calls: an agent sees only their own calls
        # and the marts the policy shares with their team.
        return None
    if "team" in columns:
        return "team in (select team from memory.main.scope_teams)", "team"
    if "agent_id" in columns:
        return "agent_id in (select agent_id from memory.main.scope_calls)", "team"
    if "call_id" in columns:
        return "call_id in (select call_id from memory.main.scope_calls)", "team"
    if table in policy.shared_marts:
        return "true", "reference"
    # Default deny: an unscoped table might aggregate other teams' calls.
    return None


def open_session(warehouse: Warehouse, principal: Principal, policy: AccessPolicy) -> Session:
    """Open an in-memory session holding only what ``principal`` may read of ``warehouse``
    (``FileNotFoundError`` when it is a DuckDB file or a lake not made yet;
    ``duckdb.IOException`` while a run holds the file or the lake's Postgres is out of reach)."""
    require_catalogue(warehouse)  # before the spill folder is made beside it
    # Spilled pages of the session are the principal's data: in the state directory (beside
    # the DuckDB file, whose setting names it on a lake too), 0700.
    spill = Path(warehouse.database).parent / "session-tmp"
    spill.mkdir(mode=0o700, exist_ok=True)
    spill.chmod(0o700)
    con = connect_reading(warehouse, config={"temp_directory": str(spill)})
    try:
        source = con.execute("select current_database()").fetchone()[0]
        lake = _quote(source)
        _load_scope(con, lake, principal)
        exposed = [
            *_copy_marts(con, lake, principal, policy),
            *_copy_compliance(con, lake, principal),
        ]
        con.execute(
            "drop table memory.main.scope_calls; drop table memory.main.scope_teams; "
            "drop table memory.main.scope_principal"
        )
        # The lake's metadata catalogue goes with it; the S3 secret its Parquet was read
        # with (key id in clear in duckdb_secrets()) does not, so it is dropped too.
        con.execute(f"use memory; detach {_quote(source)}")
        con.execute(f"drop temporary secret if exists {S3_SECRET}")
        # Once off and locked, no statement can attach or read files again.
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except Exception:
        con.close()
        raise
    return Session(con, principal, tuple(exposed))


def _load_scope(con: duckdb.DuckDBPyConnection, lake: str, principal: Principal) -> None:
    """The principal's agent id, teams and calls, in ``memory`` beside the copies."""
    con.execute(
        "create table memory.main.scope_principal as select ?::varchar as agent_id",
        [principal.agent_id],
    )
    con.execute(
        "create table memory.main.scope_teams as select unnest(?::varchar[]) as team",
        [list(principal.teams)],
    )
    has_recordings = "recordings" in _tables(con, "raw")
    source = (
        f"select call_id, agent_id, team from {lake}.raw.recordings"
        if has_recordings
        else "select null::varchar as call_id, null::varchar as agent_id, null::varchar as team "
        "where false"
    )
    con.execute(
        f"create table memory.main.scope_calls as select call_id, agent_id, agent_id = ? as own "
        f"from ({source}) where ? or team in (select team from memory.main.scope_teams)",
        [principal.agent_id, principal.sees_all_teams],
    )


def _copy_marts(
    con: duckdb.DuckDBPyConnection, lake: str, principal: Principal, policy: AccessPolicy
) -> list[ExposedTable]:
    if principal.role is Role.COMPLIANCE:  # oversight of the records, not of call content
        return []
    exposed = []
    for table in _tables(con, MART_SCHEMA):
        if table.startswith(INTERNAL_PREFIXES):
            continue
        columns = _columns(con, MART_SCHEMA, table)
        if TRANSCRIPT_COLUMN in columns:
            continue
        scoped = _scope_filter(table, columns, principal, policy)
        if scoped is None:
            continue
        where, scope = scoped
        con.execute(
            f"create table memory.main.{_quote(table)} as "
            f"select * from {lake}.{MART_SCHEMA}.{_quote(table)} where {where}"
        )
        rows = con.execute(f"select count(*) from memory.main.{_quote(table)}").fetchone()[0]
        exposed.append(ExposedTable(table, rows, scope))
    return exposed


def _copy_compliance(
    con: duckdb.DuckDBPyConnection, lake: str, principal: Principal
) -> list[ExposedTable]:
    if not (principal.sees_all_teams or principal.role is Role.COMPLIANCE):
        return []
    present = set(_tables(con, "raw"))
    con.execute("create schema memory.compliance")
    exposed = []
    for table in COMPLIANCE_TABLES:
        if table not in present:
            continue
        con.execute(
            f"create table memory.compliance.{_quote(table)} as "
            f"select * from {lake}.raw.{_quote(table)}"
        )
        rows = con.execute(f"select count(*) from memory.compliance.{_quote(table)}").fetchone()[0]
        exposed.append(ExposedTable(f"compliance.{table}", rows, "all"))
    return exposed
