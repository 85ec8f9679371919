"""The web app's settings: read once from ``LYDSPOR_WEB_*`` variables, embedded defaults otherwise.

- ``LYDSPOR_WEB_ACCOUNTS`` (``<state>/web/accounts.sqlite``): local accounts and sessions, 0600.
- ``LYDSPOR_WEB_SESSION_HOURS`` (8): a session ends this many hours after sign-in.
- ``LYDSPOR_WEB_SECURE_COOKIES`` (``auto``): ``true``/``false``; ``auto`` sets the cookies'
  Secure flag when the public URL is https.
- ``LYDSPOR_WEB_PUBLIC_URL`` (``http://127.0.0.1:8000``): where users reach the app (the base
  of the OIDC redirect URI).
- ``LYDSPOR_WEB_SIGNIN_LIMIT`` (``5/minute``): failed sign-ins allowed per user and per client
  address (``limits`` notation).
- ``LYDSPOR_WEB_PAGE_ROWS`` (100): rows per page of a mart.
- ``LYDSPOR_WEB_ERASURE_FOLLOWUP`` (``true``): after an erasure, rebuild the marts and purge the
  bytes, as ``lydspor erase`` does (``lydspor.web.followup``).
- ``LYDSPOR_OIDC_ISSUER`` (unset: OIDC off): the IdP's issuer URL, whose
  ``/.well-known/openid-configuration`` is read; ``LYDSPOR_OIDC_CLIENT_ID`` and
  ``LYDSPOR_OIDC_CLIENT_SECRET``: the app's registration there.
- ``LYDSPOR_OIDC_CLAIM`` (``preferred_username``): the ID-token claim naming the policy user.
- ``LYDSPOR_OIDC_SCOPES`` (``openid email profile``): the scopes asked for.
- ``LYDSPOR_OIDC_LOCAL_ACCOUNTS`` (``false``): keep local password sign-in beside OIDC.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from assets.common.lake import Warehouse, warehouse_from_environment
from assets.common.settings import apply_embedded_defaults


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    claim: str = "preferred_username"
    scopes: str = "openid email profile"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class WebSettings:
    #: The DuckDB file's setting: the state directory the accounts default beside.
    catalogue: Path
    access_policy: Path
    accounts: Path
    public_url: str = "http://127.0.0.1:8000"
    session_hours: float = 8.0
    secure_cookies: bool = False
    signin_limit: str = "5/minute"
    page_rows: int = 100
    erasure_followup: bool = True
    oidc: OidcSettings | None = None
    local_accounts: bool = True
    #: What every page reads: the DuckDB file, or the DuckLake ``LYDSPOR_WAREHOUSE`` names.
    warehouse: Warehouse = field(default_factory=Warehouse)

    @classmethod
    def from_environment(cls) -> WebSettings:
        apply_embedded_defaults()
        env = os.environ
        catalogue = Path(env["LYDSPOR_DUCKDB_PATH"])
        public_url = env.get("LYDSPOR_WEB_PUBLIC_URL", "http://127.0.0.1:8000")
        secure = env.get("LYDSPOR_WEB_SECURE_COOKIES", "auto")
        oidc = None
        if env.get("LYDSPOR_OIDC_ISSUER"):
            oidc = OidcSettings(
                issuer=env["LYDSPOR_OIDC_ISSUER"],
                client_id=env.get("LYDSPOR_OIDC_CLIENT_ID", ""),
                client_secret=env.get("LYDSPOR_OIDC_CLIENT_SECRET", ""),
                claim=env.get("LYDSPOR_OIDC_CLAIM", "preferred_username"),
                scopes=env.get("LYDSPOR_OIDC_SCOPES", "openid email profile"),
            )
        return cls(
            catalogue=catalogue,
            access_policy=Path(env["LYDSPOR_ACCESS_POLICY"]),
            accounts=Path(
                env.get("LYDSPOR_WEB_ACCOUNTS", catalogue.parent / "web" / "accounts.sqlite")
            ),
            public_url=public_url,
            session_hours=float(env.get("LYDSPOR_WEB_SESSION_HOURS", "8")),
            secure_cookies=public_url.startswith("https://") if secure == "auto" else _flag(secure),
            signin_limit=env.get("LYDSPOR_WEB_SIGNIN_LIMIT", "5/minute"),
            page_rows=int(env.get("LYDSPOR_WEB_PAGE_ROWS", "100")),
            erasure_followup=_flag(env.get("LYDSPOR_WEB_ERASURE_FOLLOWUP", "true")),
            oidc=oidc,
            local_accounts=oidc is None or _flag(env.get("LYDSPOR_OIDC_LOCAL_ACCOUNTS", "false")),
            warehouse=warehouse_from_environment(),
        )
