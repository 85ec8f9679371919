"""The sensors: the landing sensor asks for the light intake per call date when files land (and
only then, and not while one is still queued); the batch sensor asks for the whole pipeline when
extracted calls wait for their transcripts, at most once per batch interval."""

from __future__ import annotations

import os
import time
from datetime import datetime
from unittest import mock

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from assets.common.resources import ObjectStoreResource
from assets.common.settings import CALL_TIMEZONE
from orchestration.sensors import (
    BATCH_EVERY_MINUTES,
    batch_due,
    call_batch_sensor,
    landing_sensor,
)

S = dg.DagsterRunStatus


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def today() -> str:
    return datetime.now(CALL_TIMEZONE).date().isoformat()


def evaluate(cursor, resource, instance):
    context = dg.build_sensor_context(
        cursor=cursor, resources={"object_store": resource}, instance=instance
    )
    result = landing_sensor(context)
    return result.run_requests, result.cursor


def test_landing_sensor_is_on_and_requests_the_intake_for_new_dates_once(lydspor_state, instance):
    assert landing_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert landing_sensor.minimum_interval_seconds <= 15
    assert landing_sensor.job_name == "call_intake"
    resource = ObjectStoreResource(root=os.environ["LYDSPOR_STORE_ROOT"])
    store = resource.get_store()
    day = today()

    requests, cursor = evaluate(None, resource, instance)
    assert requests == []

    store.put_bytes(f"landing/{day}/call-1.wav", b"RIFF")
    store.put_bytes(f"landing/{day}/call-1.json", b"{}")
    requests, cursor = evaluate(cursor, resource, instance)
    assert [r.partition_key for r in requests] == [day]

    again, cursor = evaluate(cursor, resource, instance)
    assert again == []  # nothing new: no second run

    store.put_bytes(f"landing/{day}/call-2.wav", b"RIFF2")
    more, _ = evaluate(cursor, resource, instance)
    assert [r.partition_key for r in more] == [day]
    assert more[0].run_key != requests[0].run_key


def test_a_queued_run_for_the_date_takes_what_lands_meanwhile(lydspor_state, instance):
    resource = ObjectStoreResource(root=os.environ["LYDSPOR_STORE_ROOT"])
    store = resource.get_store()
    day = today()
    store.put_bytes(f"landing/{day}/call-1.wav", b"RIFF")
    requests, cursor = evaluate(None, resource, instance)
    assert len(requests) == 1
    queued = create_run_for_test(
        instance, job_name="call_intake", status=S.NOT_STARTED, tags={"dagster/partition": day}
    )

    store.put_bytes(f"landing/{day}/call-2.wav", b"RIFF2")
    requests, cursor = evaluate(cursor, resource, instance)
    assert requests == []  # the queued run has not listed landing/ yet: it will see call-2

    # Once it started, what lands next needs a run of its own.
    instance.delete_run(queued.run_id)
    create_run_for_test(
        instance, job_name="call_intake", status=S.STARTED, tags={"dagster/partition": day}
    )
    store.put_bytes(f"landing/{day}/call-3.wav", b"RIFF3")
    requests, _ = evaluate(cursor, resource, instance)
    assert [r.partition_key for r in requests] == [day]


NOW = 1_800_000_000.0
MINUTE = 60.0


@pytest.mark.parametrize(
    ("waiting_since", "in_flight", "due"),
    [
        (None, False, False),  # nothing extracted since the last transcription
        (NOW - MINUTE, False, False),  # calls gather for the interval first
        (NOW - BATCH_EVERY_MINUTES * MINUTE, False, True),
        (NOW - 60 * MINUTE, True, False),  # a batch is in flight: it is not doubled
    ],
)
def test_batch_due(waiting_since, in_flight, due):
    assert batch_due(waiting_since, in_flight, NOW) is due


def batch_requests(instance, now: float | None = None):
    context = dg.build_sensor_context(instance=instance)
    if now is None:
        return call_batch_sensor(context).run_requests
    with mock.patch("orchestration.sensors.time.time", return_value=now):
        return call_batch_sensor(context).run_requests


def test_batch_sensor_follows_the_intake_with_the_whole_pipeline(instance):
    assert call_batch_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert call_batch_sensor.job_name == "call_pipeline"
    day = today()
    later = time.time() + (BATCH_EVERY_MINUTES + 1) * MINUTE
    assert batch_requests(instance, later) == []

    instance.report_runless_asset_event(dg.AssetMaterialization("agent_audio", partition=day))
    assert batch_requests(instance) == []  # just extracted: more calls may join the batch
    requests = batch_requests(instance, later)
    assert [r.partition_key for r in requests] == [day]
    assert batch_requests(instance, later)[0].run_key == requests[0].run_key  # same work

    # While the batch runs, nothing else is asked for.
    running = create_run_for_test(
        instance, job_name="call_pipeline", status=S.STARTED, tags={"dagster/partition": day}
    )
    assert batch_requests(instance, later) == []
    instance.delete_run(running.run_id)

    # The batch ran: its transcripts are newer than the extraction, nothing waits.
    time.sleep(0.01)
    instance.report_runless_asset_event(dg.AssetMaterialization("transcripts", partition=day))
    assert batch_requests(instance, later + 60 * MINUTE) == []

    # A call extracted after it waits for the next batch, the interval after its extraction.
    time.sleep(0.01)
    instance.report_runless_asset_event(dg.AssetMaterialization("agent_audio", partition=day))
    assert batch_requests(instance) == []
    assert [r.partition_key for r in batch_requests(instance, later + MINUTE)] == [day]
