"""The retention domain's resource: the tenant's policy file, which every asset reads."""

from __future__ import annotations

import dagster as dg

from assets.retention.policy import RetentionPolicy, load_policy


class PolicyResource(dg.ConfigurableResource):
    """The tenant's retention policy file."""

    path: str = "data/policies/default.yaml"

    def load(self) -> RetentionPolicy:
        return load_policy(self.path)
