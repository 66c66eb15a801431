"""Outbox delivery: claim, lease, send once, back off, give up; two workers never share a row."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from clinic import clock, outbox
from clinic.db import create_engine_for, session_scope
from clinic.models import OutboxMessage, OutboxStatus, RecipientKind
from tests.clinic.helpers import make_patient, make_staff


def test_button_payloads_use_rasa_intent_syntax():
    assert outbox.button("Cancel", "cancel_appointment", appointment_id=12) == {
        "title": "Cancel",
        "payload": '/cancel_appointment{"appointment_id":"12"}',
    }
    assert outbox.button("No", "deny")["payload"] == "/deny"


def test_enqueue_needs_exactly_one_recipient(store):
    with pytest.raises(ValueError):
        outbox.enqueue(store, kind="x", text="hi")
    with pytest.raises(ValueError):
        outbox.enqueue(store, kind="x", text="hi", to_patient=1, to_staff_channel=True)


def test_claim_resolves_recipients_and_respects_due_time(store):
    patient = make_patient(store, 1, "tg:501")
    staff = make_staff(store, telegram_user_id=777)
    now = clock.now()
    outbox.enqueue(store, kind="a", text="to patient", to_patient=patient.id)
    outbox.enqueue(store, kind="b", text="to staff", to_staff=staff.id)
    outbox.enqueue(store, kind="c", text="to channel", to_staff_channel=True)
    outbox.enqueue(store, kind="d", text="to guest", to_identity="web:xyz")
    outbox.enqueue(
        store, kind="e", text="later", to_staff_channel=True, due_at=now + timedelta(hours=1)
    )
    store.commit()

    batch = outbox.claim_due(store, "w1", now=now)
    store.commit()
    got = {d.kind: d for d in batch}
    assert set(got) == {"a", "b", "c", "d"}
    assert got["a"].identities == ["tg:501"]
    assert got["b"].identities == ["tg:777"]
    assert got["c"].identities == [] and got["c"].recipient_kind is RecipientKind.STAFF_CHANNEL
    assert got["d"].identities == ["web:xyz"]
    # Leased rows are not handed out again, and the future one waits.
    assert outbox.claim_due(store, "w2", now=now) == []
    for delivery in batch:
        assert outbox.mark_sent(store, delivery.id, "w1")
    store.commit()
    later = outbox.claim_due(store, "w2", now=now + timedelta(hours=1, seconds=1))
    assert [d.kind for d in later] == ["e"]


def test_sent_once_and_only_by_the_lease_owner(store):
    outbox.enqueue(store, kind="a", text="hi", to_staff_channel=True)
    store.commit()
    (delivery,) = outbox.claim_due(store, "w1")
    assert not outbox.mark_sent(store, delivery.id, "someone-else")
    assert outbox.mark_sent(store, delivery.id, "w1")
    assert not outbox.mark_sent(store, delivery.id, "w1")  # already sent
    store.commit()
    far_future = clock.now() + timedelta(days=30)
    assert outbox.claim_due(store, "w1", now=far_future) == []
    row = store.get(OutboxMessage, delivery.id)
    assert row.status is OutboxStatus.SENT and row.sent_at is not None


def test_failures_back_off_then_give_up(store):
    message = outbox.enqueue(store, kind="a", text="hi", to_staff_channel=True, max_attempts=3)
    store.commit()
    now = clock.now()
    delays = []
    for attempt in range(1, 4):
        (delivery,) = outbox.claim_due(store, "w", now=now)
        assert delivery.attempt == attempt
        outbox.mark_failed(store, delivery.id, "Telegram said 502", "w", now=now)
        store.commit()
        row = store.get(OutboxMessage, message.id)
        if attempt < 3:
            assert row.status is OutboxStatus.PENDING
            delays.append(row.next_attempt_at - now)
            assert outbox.claim_due(store, "w", now=now) == []  # not before the backoff
            now = row.next_attempt_at
    assert delays == [timedelta(seconds=30), timedelta(seconds=60)]
    assert row.status is OutboxStatus.FAILED and row.last_error == "Telegram said 502"
    assert outbox.backoff(20) == timedelta(hours=1)


def test_permanent_failure_stops_at_once(store):
    outbox.enqueue(store, kind="a", text="hi", to_identity="tg:1")
    store.commit()
    (delivery,) = outbox.claim_due(store, "w")
    outbox.mark_failed(
        store, delivery.id, "Forbidden: bot was blocked by the user", "w", permanent=True
    )
    store.commit()
    assert store.get(OutboxMessage, delivery.id).status is OutboxStatus.FAILED


def test_a_dead_workers_lease_expires_and_release_gives_rows_back(store):
    outbox.enqueue(store, kind="a", text="hi", to_staff_channel=True)
    outbox.enqueue(store, kind="b", text="hi", to_staff_channel=True)
    store.commit()
    now = clock.now()
    claimed = outbox.claim_due(store, "dead", now=now, lease_seconds=60)
    store.commit()
    assert len(claimed) == 2
    assert outbox.claim_due(store, "alive", now=now + timedelta(seconds=59)) == []
    retaken = outbox.claim_due(store, "alive", now=now + timedelta(seconds=61))
    store.commit()
    assert {d.attempt for d in retaken} == {2}
    assert not outbox.mark_sent(store, retaken[0].id, "dead")  # the old owner lost it
    assert outbox.release(store, "alive") == 2
    store.commit()
    again = outbox.claim_due(store, "next", now=now + timedelta(seconds=62))
    assert {d.attempt for d in again} == {2}  # release did not count as an attempt


def test_two_workers_claiming_at_once_never_share_a_row(store, store_engine):
    for n in range(200):
        outbox.enqueue(store, kind="bulk", text=f"m{n}", to_staff_channel=True)
    store.commit()
    engine = create_engine_for(
        store_engine.url.render_as_string(hide_password=False), poolclass=NullPool
    )
    claimed: dict[str, list[int]] = {"w1": [], "w2": [], "w3": []}
    barrier = threading.Barrier(3)

    def work(worker):
        barrier.wait()
        while True:
            with session_scope(engine) as s:
                batch = outbox.claim_due(s, worker, limit=7)
            if not batch:
                return
            claimed[worker].extend(d.id for d in batch)
            with session_scope(engine) as s:
                for d in batch:
                    assert outbox.mark_sent(s, d.id, worker)

    threads = [threading.Thread(target=work, args=(w,)) for w in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    everything = [i for ids in claimed.values() for i in ids]
    assert len(everything) == len(set(everything)) == 200
    statuses = set(store.scalars(select(OutboxMessage.status)).all())
    assert statuses == {OutboxStatus.SENT}


def test_a_flood_limit_defers_the_row_for_every_worker_without_using_an_attempt(store):
    message = outbox.enqueue(store, kind="reminder", text="hi", to_identity="tg:1")
    store.commit()
    now = clock.now()
    (delivery,) = outbox.claim_due(store, "w1", now=now)
    outbox.mark_failed(
        store,
        delivery.id,
        "429 retry after 300s",
        "w1",
        retry_after=timedelta(seconds=300),
        now=now,
    )
    store.commit()
    # the usual 30 s backoff has passed, but Telegram said 5 minutes: no worker may try yet
    assert outbox.claim_due(store, "w2", now=now + timedelta(seconds=60)) == []
    (again,) = outbox.claim_due(store, "w2", now=now + timedelta(seconds=301))
    assert again.id == message.id and again.attempt == 1  # the 429 did not count
