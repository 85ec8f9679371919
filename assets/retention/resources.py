"""The retention domain's resource: the tenant's policy file, which every asset reads.

``policy_resource`` builds it from ``LYDSPOR_POLICY`` for the code location (``read=dg.EnvVar``)
and, read now, for the CLI and the web app, so all of them load the same file the same way.
"""

from __future__ import annotations

import os

import dagster as dg

from assets.common.resources import Read
from assets.common.settings import POLICY_VARIABLES, from_environment
from assets.retention.policy import RetentionPolicy, load_policy


class PolicyResource(dg.ConfigurableResource):
    """The tenant's retention policy file."""

    path: str = "data/policies/default.yaml"

    def load(self) -> RetentionPolicy:
        return load_policy(self.path)


def policy_resource(read: Read = os.environ.__getitem__) -> PolicyResource:
    """The policy file the ``LYDSPOR_POLICY`` variable names (``POLICY_VARIABLES``)."""
    return PolicyResource(**from_environment(POLICY_VARIABLES, read))


def policy_from_environment() -> RetentionPolicy:
    """The tenant's policy, loaded now (raises ``PolicyError`` naming what is wrong)."""
    return policy_resource().load()
