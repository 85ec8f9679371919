"""``.env`` for ``dagster dev``: written once, then only completed, never overwritten."""

from __future__ import annotations

from assets.common.settings import write_dotenv


def test_a_fresh_env_file_holds_every_setting(tmp_path):
    path = tmp_path / ".env"
    assert write_dotenv({"A": "1", "B": "2"}, path)
    assert path.read_text() == "A=1\nB=2\n"


def test_an_existing_file_keeps_its_values_and_gains_new_settings(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# mine\nA=changed-by-me\nOTHER=x")
    assert write_dotenv({"A": "1", "LYDSPOR_WAREHOUSE": "duckdb"}, path)
    assert path.read_text() == "# mine\nA=changed-by-me\nOTHER=x\nLYDSPOR_WAREHOUSE=duckdb\n"
    assert not write_dotenv({"A": "1", "LYDSPOR_WAREHOUSE": "duckdb"}, path)
