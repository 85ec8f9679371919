"""Whether the audit log's chain verifies, against the head anchored outside the catalogue."""

from __future__ import annotations

from starlette.routing import Route

from assets.access.authorise import Action
from assets.access.policy import Principal
from assets.common.lake import Warehouse
from assets.retention import audit
from lydspor.web.catalogue import reading, record, store
from lydspor.web.routes.guard import page_and_api

#: The newest audit entries shown under the status.
RECENT = 50


def verification(catalogue: Warehouse, principal: Principal) -> dict:
    with reading(catalogue) as con:
        result = audit.verify_anchored(con, store())
        recent = con.execute(
            f"select seq, logged_at, actor, action, call_id, subject from {audit.AUDIT_TABLE} "
            "order by seq desc limit ?",
            [RECENT],
        ).fetchall()
    status = {
        "ok": result.ok,
        "entries": result.entries,
        "first_bad_seq": result.first_bad_seq,
        "problem": result.problem,
    }
    record(catalogue, principal, "audit verification", details={"ok": result.ok})
    keys = ("seq", "at", "actor", "action", "call_id", "subject")
    return {**status, "recent": [dict(zip(keys, r, strict=True)) for r in recent]}


audit_page, audit_api = page_and_api(
    "verify the audit log",
    Action.AUDIT,
    lambda _request, principal, settings: verification(settings.warehouse, principal),
    "audit.html",
    "status",
    api=lambda status: {k: v for k, v in status.items() if k != "recent"},
)


routes = [Route("/audit", audit_page), Route("/api/audit", audit_api)]
