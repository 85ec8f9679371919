"""The landing sensor asks for a run per call date when files land, and only then."""

from __future__ import annotations

import os
from datetime import datetime

import dagster as dg

from assets.common.resources import ObjectStoreResource
from assets.common.settings import CALL_TIMEZONE
from orchestration.sensors import landing_sensor


def evaluate(cursor, resource):
    context = dg.build_sensor_context(cursor=cursor, resources={"object_store": resource})
    result = landing_sensor(context)
    return result.run_requests, result.cursor


def test_landing_sensor_requests_new_dates_once(lydspor_state):
    resource = ObjectStoreResource(root=os.environ["LYDSPOR_STORE_ROOT"])
    store = resource.get_store()
    today = datetime.now(CALL_TIMEZONE).date().isoformat()

    requests, cursor = evaluate(None, resource)
    assert requests == []

    store.put_bytes(f"landing/{today}/call-1.wav", b"RIFF")
    store.put_bytes(f"landing/{today}/call-1.json", b"{}")
    requests, cursor = evaluate(cursor, resource)
    assert [r.partition_key for r in requests] == [today]

    again, cursor = evaluate(cursor, resource)
    assert again == []  # nothing new: no second run

    store.put_bytes(f"landing/{today}/call-2.wav", b"RIFF2")
    more, _ = evaluate(cursor, resource)
    assert [r.partition_key for r in more] == [today]
    assert more[0].run_key != requests[0].run_key
