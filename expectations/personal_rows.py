"""The compliance gate over data: no row of personal data outlives its deadline.

One row per table of personal data (``assets/retention/copies.py``) and per table the pipeline
wrote that holds a call, agent or text column but is listed nowhere (``accounted`` false: a copy
nobody governs). ``overdue_rows`` counts rows whose owner is gone or past its deadline.
"""

from __future__ import annotations

import pandas as pd

from expectations.runner import build_suite

PERSONAL_ROWS_SUITE = "personal_rows_within_deadline"

COLUMNS = ["table_name", "owner", "accounted", "overdue_rows"]


def personal_rows_frame(tables: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(tables, columns=COLUMNS).astype(
        {"accounted": bool, "overdue_rows": "int64"}
    )


def personal_rows_suite():
    return build_suite(
        PERSONAL_ROWS_SUITE,
        lambda e: [
            e.ExpectColumnValuesToBeBetween(column="overdue_rows", min_value=0, max_value=0),
            e.ExpectColumnValuesToBeInSet(column="accounted", value_set=[True]),
        ],
    )
