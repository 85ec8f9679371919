"""The throwaway Postgres the scale-out tests use: real, socket-only, one database per user."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.postgres import PostgresError, find_binary


def test_postgres_answers_sql_on_its_socket_only(postgres):
    assert postgres.psql("SELECT 40 + 2") == "42"
    assert postgres.psql("SHOW listen_addresses") == ""
    assert str(postgres.socket_dir) in postgres.dsn


def test_each_database_is_separate(postgres):
    postgres.create_database("tooling_a")
    postgres.create_database("tooling_b")
    postgres.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (1)", database="tooling_a")
    assert postgres.psql("SELECT count(*) FROM t", database="tooling_a") == "1"
    with pytest.raises(PostgresError, match="does not exist"):
        postgres.psql("SELECT count(*) FROM t", database="tooling_b")


def test_bad_database_names_are_refused(postgres):
    with pytest.raises(ValueError):
        postgres.create_database('x"; DROP DATABASE postgres; --')


def test_the_url_form_reaches_the_same_server(postgres):
    psql = find_binary("psql")
    out = subprocess.run(
        [psql, "-X", "-A", "-t", "-d", postgres.url, "-c", "SELECT current_user"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == postgres.user
