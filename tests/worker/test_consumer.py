"""The SQS loop in-process, against a fake queue and a fake pipeline: slot accounting, settling each message as the
pipeline says, the keepalive, shutdown. The same behaviour through real processes: tests/e2e/test_reliability.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import httpx

from cli.processes import wait_until
from core.config import Settings
from tests.worker.fake_sqs import FakeMessage, FakeSqs, upload_body
from worker.consumer import Consumer
from worker.delivery import DONE, Delivery, Disposition
from worker.events import UploadEvent
from worker.protection import ScaleInProtection

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

VISIBILITY = 10  # the least the settings allow: a keepalive tick every 3.3 s
Behaviour = Callable[[UploadEvent, Delivery], Disposition]


class FakeProcessor:
    """Stands in for the pipeline (worker.delivery.Processor): for each event, `before_slot` (the claim and the read of
    the upload: nothing by default), then the slot for the image work, then `behaviour`; records its calls."""

    def __init__(
        self,
        behaviour: Behaviour = lambda event, delivery: DONE,
        before_slot: Callable[[UploadEvent], None] = lambda event: None,
    ) -> None:
        self.behaviour = behaviour
        self.before_slot = before_slot
        self.handled: list[str] = []  # keys
        self.heartbeats: list[tuple[Delivery, int]] = []
        self.running = 0
        self.most_running = 0
        self.finished = 0
        self._lock = threading.Lock()

    def handle(self, event: UploadEvent, delivery: Delivery) -> Disposition:
        self.before_slot(event)
        if not delivery.take_slot():  # the worker is stopping: as the pipeline does, the job goes back at once
            return Disposition(delete=False, retry_after=0)
        with self._lock:
            self.handled.append(event.key)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            return self.behaviour(event, delivery)
        finally:
            with self._lock:
                self.running -= 1
                self.finished += 1

    def heartbeat(self, delivery: Delivery, seconds: int) -> None:
        self.heartbeats.append((delivery, seconds))


def most_held(sqs: FakeSqs, processor: FakeProcessor) -> list[int]:
    """The most messages the consumer held at any receive: received so far, less the jobs already finished (whose
    delete may still be on its way, in a batch). A list of one, read after the run."""
    received, most = [0], [0]

    def on_receive(batch: list[FakeMessage]) -> None:
        received[0] += len(batch)
        most[0] = max(most[0], received[0] - processor.finished)

    sqs.on_receive = on_receive
    return most


def gated(gate: threading.Event) -> Behaviour:
    """A job that runs until `gate` is set, then is done."""

    def behaviour(event: UploadEvent, delivery: Delivery) -> Disposition:
        assert gate.wait(30), "the test never let the job finish"
        return DONE

    return behaviour


def consumer(
    sqs: FakeSqs, processor: FakeProcessor, protection: ScaleInProtection | None = None, **settings: Any
) -> Consumer:
    values: dict[str, Any] = {
        "queue_wait_seconds": 1,
        "visibility_timeout_seconds": VISIBILITY,
        "analysis_engine": "off",
        **settings,
    }
    return Consumer(Settings(**values), cast("SQSClient", sqs), "queue-url", processor, protection)


class Run:
    """A consumer's run() on a thread of its own; stop() stops it and returns what run() returned."""

    def __init__(self, consumer: Consumer, sqs: FakeSqs) -> None:
        self.sqs = sqs
        self.stopping = threading.Event()
        self._result: list[bool] = []
        self._thread = threading.Thread(target=lambda: self._result.append(consumer.run(self.stopping)), daemon=True)

    def start(self) -> Run:
        self._thread.start()
        return self

    def stop(self) -> bool:
        self.stopping.set()
        self.sqs.close()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the consumer did not stop"
        return self._result[0]

    @property
    def stopped(self) -> bool:
        return bool(self._result)


@contextmanager
def running(consumer: Consumer, sqs: FakeSqs) -> Iterator[Run]:
    run = Run(consumer, sqs).start()
    try:
        yield run
    finally:
        if not run.stopped:
            run.stop()


def test_runs_as_many_jobs_as_it_has_slots_and_holds_the_next_messages_in_hand() -> None:
    """Two slots: two jobs run, two more messages wait in hand for a slot (no receive between a job's end and the
    next one's start), and never more than that is taken from the queue."""
    sqs, gate = FakeSqs(), threading.Event()
    for n in range(7):
        sqs.send(upload_body(f"uploads/job-{n}/source"))
    processor = FakeProcessor(gated(gate))
    held = most_held(sqs, processor)
    with running(consumer(sqs, processor, worker_concurrency=2), sqs):
        wait_until(lambda: processor.running == 2 and sqs.held == 4, timeout=30, what="two jobs, four messages held")
        assert len(processor.handled) == 2  # the two in hand wait for a slot; they have not started
        gate.set()
        wait_until(lambda: len(sqs.deleted) == 7, timeout=30, what="every message done")
    assert held == [4]  # twice the slots, never a fifth message
    assert processor.most_running == 2


def test_each_receive_asks_for_the_room_left_only() -> None:
    sqs, gate = FakeSqs(), threading.Event()
    sqs.send(upload_body("uploads/job-1/source"))
    processor = FakeProcessor(gated(gate))
    with running(consumer(sqs, processor, worker_concurrency=3), sqs):
        wait_until(lambda: processor.running == 1, timeout=30, what="the job running")
        wait_until(lambda: sqs.asked[-1] == 5, timeout=30, what="a receive for the room left (2 x 3 - 1)")
        gate.set()
        wait_until(lambda: sqs.deleted == ["m1"], timeout=30, what="the message done")
        # The job's room is back, and so is the room a receive took but got no message for.
        wait_until(lambda: sqs.asked[-1] == 6, timeout=30, what="a receive for all the room")
    assert sqs.asked[0] == 6


def test_while_messages_wait_in_hand_it_receives_only_when_there_is_room_for_a_batch() -> None:
    """Four slots, eight messages held: a job's end frees room for one message, but the next job is already in hand,
    so the worker does not receive for that one; it does once no more than one message waits (a receive per few
    jobs, not one per job)."""
    sqs = FakeSqs()
    for n in range(20):
        sqs.send(upload_body(f"uploads/job-{n}/source"))
    gates = {f"uploads/job-{n}/source": threading.Event() for n in range(20)}
    processor = FakeProcessor(lambda event, delivery: DONE if gates[event.key].wait(30) else Disposition(False, 0))

    def finish_one() -> None:
        before = processor.finished
        running_key = next(k for k in processor.handled if not gates[k].is_set())
        gates[running_key].set()
        # Finished, its room given back, and the next message in hand running in its slot.
        wait_until(
            lambda: processor.finished == before + 1 and processor.running == 4,
            timeout=30,
            what="the next job started",
        )

    with running(consumer(sqs, processor, worker_concurrency=4), sqs):
        wait_until(lambda: processor.running == 4 and sqs.held == 8, timeout=30, what="four jobs, eight messages held")
        finish_one()
        finish_one()  # two messages still wait in hand: no receive yet for the two rooms freed
        assert sqs.asked == [8]
        finish_one()  # one waits: now a receive, for all the room
        wait_until(lambda: len(sqs.asked) == 2, timeout=30, what="a second receive")
        assert sqs.asked[1] >= 2
        for gate in gates.values():
            gate.set()
        wait_until(lambda: len(sqs.deleted) == 20, timeout=30, what="every message done")


def test_a_job_past_its_image_work_gives_its_slot_to_the_next_message() -> None:
    """Once a job's image work is done (the pipeline calls release_slot), the next message is received and
    processed while the first still stores and records its outcome; that job's message is deleted only when it is
    settled, and the slot it gave back is one slot, not more (calling release_slot again does nothing)."""
    sqs, first_finishing, second_running = FakeSqs(), threading.Event(), threading.Event()
    for n in range(1, 4):
        sqs.send(upload_body(f"uploads/job-{n}/source"))

    def behaviour(event: UploadEvent, delivery: Delivery) -> Disposition:
        if event.key == "uploads/job-1/source":
            delivery.release_slot()
            delivery.release_slot()
            assert first_finishing.wait(30), "the test never let the first job finish"
        elif event.key == "uploads/job-2/source":
            assert second_running.wait(30), "the test never let the second job finish"
        return DONE

    processor = FakeProcessor(behaviour)
    held = most_held(sqs, processor)
    with running(consumer(sqs, processor, worker_concurrency=1), sqs):
        wait_until(lambda: processor.running == 2, timeout=30, what="the second job running beside the first")
        second_running.set()
        wait_until(lambda: sqs.deleted == ["m2", "m3"], timeout=30, what="the second and third messages done")
        first_finishing.set()
        wait_until(lambda: sqs.deleted == ["m2", "m3", "m1"], timeout=30, what="the first message done")
    # The first job in its round trips, one in the one slot and one in hand for it: never a fourth message held.
    assert held == [3]


def test_a_job_still_claiming_or_reading_its_upload_leaves_the_slot_to_a_job_ready_for_its_image_work() -> None:
    """One slot. The first job's round trips before its image work hang (DynamoDB slow, say): the next message takes
    the slot, runs and is settled meanwhile (before, a job held its slot from the start, so the CPU waited on them)."""
    sqs, claimed = FakeSqs(), threading.Event()
    sqs.send(upload_body("uploads/slow/source"))
    claiming: list[str] = []

    def before_slot(event: UploadEvent) -> None:
        if event.key == "uploads/slow/source":
            claiming.append(event.key)
            assert claimed.wait(60), "the test never let the claim finish"

    processor = FakeProcessor(before_slot=before_slot)
    with running(consumer(sqs, processor, worker_concurrency=1), sqs):
        try:
            wait_until(lambda: claiming == ["uploads/slow/source"], timeout=30, what="the first job claiming")
            sqs.send(upload_body("uploads/ready/source"))
            wait_until(lambda: sqs.deleted == ["m2"], timeout=30, what="the second job done beside the first's claim")
            assert processor.handled == ["uploads/ready/source"]
        finally:
            claimed.set()
        wait_until(lambda: sqs.deleted == ["m2", "m1"], timeout=30, what="the first job done")


def test_jobs_storing_their_outcome_do_not_take_the_room_of_the_next_jobs_up_to_a_bound() -> None:
    """Two slots. Jobs past their image work whose stores hang (S3 slow, say) no longer hold the room of the messages
    the slots need next: the worker receives and starts more jobs while they wait, up to three times its slots in
    hand, and then receives no more until one settles (before, it held twice its slots in all, so two hanging stores
    left both slots idle with work queued)."""
    sqs, stores = FakeSqs(), threading.Event()
    for n in range(10):
        sqs.send(upload_body(f"uploads/job-{n}/source"))

    def behaviour(event: UploadEvent, delivery: Delivery) -> Disposition:
        delivery.release_slot()  # the image work is done; what is left are the round trips
        assert stores.wait(30), "the test never let the stores finish"
        return DONE

    processor = FakeProcessor(behaviour)
    held = most_held(sqs, processor)
    with running(consumer(sqs, processor, worker_concurrency=2), sqs):
        wait_until(lambda: len(processor.handled) == 6, timeout=30, what="six jobs started beside the hanging stores")
        assert processor.finished == 0
        stores.set()
        wait_until(lambda: len(sqs.deleted) == 10, timeout=30, what="every message done")
    assert held == [6]  # never more than three times the slots in hand


def test_a_failure_returns_the_message_after_a_backoff_and_frees_its_slot() -> None:
    """E.g. the claim's DynamoDB call failed: the message is not deleted but comes back later, its delay growing with
    its receive count; the slot goes to the next message."""
    sqs = FakeSqs()
    sqs.send(upload_body("uploads/failing/source"), previous_receives=2)  # this is its third receive
    sqs.send(upload_body("uploads/fine/source"))

    def behaviour(event: UploadEvent, delivery: Delivery) -> Disposition:
        if event.key == "uploads/failing/source":
            raise ConnectionError("could not reach DynamoDB to claim the job")
        return DONE

    processor = FakeProcessor(behaviour)
    with running(consumer(sqs, processor, worker_concurrency=1, retry_base_seconds=2), sqs):
        wait_until(lambda: sqs.deleted == ["m2"], timeout=30, what="the next message done")
    [delay] = sqs.visibility_of("m1")
    assert 4 <= delay <= 8  # full jitter over [base * 2^(3-1) / 2, base * 2^(3-1)]
    assert "m1" not in sqs.deleted


def test_the_pipelines_retry_delay_is_the_messages_visibility() -> None:
    """E.g. the job is held by another worker's lease: the message comes back when that lease ends."""
    sqs = FakeSqs()
    sqs.send(upload_body("uploads/held/source"))
    processor = FakeProcessor(lambda event, delivery: Disposition(delete=False, retry_after=37))
    with running(consumer(sqs, processor), sqs):
        wait_until(lambda: sqs.visibility_of("m1") == [37], timeout=30, what="the message's visibility set")
    assert sqs.deleted == []


def test_an_unreadable_message_is_deleted_without_reaching_the_pipeline() -> None:
    sqs = FakeSqs()
    sqs.send("not json")
    processor = FakeProcessor()
    with running(consumer(sqs, processor), sqs):
        wait_until(lambda: sqs.deleted == ["m1"], timeout=30, what="the message dropped")
    assert processor.handled == []


def test_while_a_job_runs_its_message_stays_hidden_and_its_lease_is_renewed() -> None:
    sqs = FakeSqs()
    sqs.send(upload_body("uploads/long/source"))
    extended_first: list[bool] = []

    def long_job(event: UploadEvent, delivery: Delivery) -> Disposition:
        wait_until(lambda: bool(processor.heartbeats), timeout=30, what="a keepalive tick")
        extended = sqs.visibility_of("m1")
        extended_first.append(bool(extended) and set(extended) == {VISIBILITY})
        return DONE

    processor = FakeProcessor(long_job)
    with running(consumer(sqs, processor), sqs):
        wait_until(lambda: sqs.deleted == ["m1"], timeout=30, what="the message done")
    assert extended_first == [True]  # the message for a whole visibility timeout, then the lease
    delivery, seconds = processor.heartbeats[0]
    assert seconds == VISIBILITY and delivery.receive_count == 1


def test_messages_received_while_stopping_are_returned_at_once() -> None:
    sqs = FakeSqs()
    sqs.send(upload_body("uploads/a/source"))
    processor = FakeProcessor()
    run = Run(consumer(sqs, processor), sqs)
    sqs.on_receive = lambda batch: run.stopping.set()  # SIGTERM arrives while the receive is under way
    run.start()
    wait_until(lambda: bool(sqs.asked), timeout=30, what="a receive")
    assert run.stop() is True
    assert sqs.visibility_of("m1") == [0]  # visible again now, not after the visibility timeout
    assert processor.handled == []


def test_stopping_finishes_the_job_in_hand() -> None:
    sqs, gate = FakeSqs(), threading.Event()
    sqs.send(upload_body("uploads/a/source"))
    processor = FakeProcessor(gated(gate))
    with running(consumer(sqs, processor), sqs) as run:
        wait_until(lambda: processor.running == 1, timeout=30, what="the job running")
        run.stopping.set()
        gate.set()
        assert run.stop() is True
    assert sqs.deleted == ["m1"]


def test_stopping_returns_the_messages_still_waiting_for_a_slot_at_once() -> None:
    """A message in hand that has not started when the worker stops goes back to the queue now, for another worker,
    while the job already running finishes. (Which of the two got the slot first is not decided: either may.)"""
    sqs, gate = FakeSqs(), threading.Event()
    sqs.send(upload_body("uploads/a/source"))
    sqs.send(upload_body("uploads/b/source"))
    processor = FakeProcessor(gated(gate))
    returned: list[str] = []

    def one_returned() -> bool:
        # The last visibility set: the keepalive may have extended both messages before the stop.
        returned[:] = [m for m in ("m1", "m2") if sqs.visibility_of(m)[-1:] == [0]]
        return len(returned) == 1

    with running(consumer(sqs, processor, worker_concurrency=1), sqs) as run:
        wait_until(lambda: processor.running == 1 and sqs.held == 2, timeout=30, what="a job and a message in hand")
        run.stopping.set()
        wait_until(one_returned, timeout=30, what="the waiting message returned")
        gate.set()
        assert run.stop() is True
    [ran] = {"m1", "m2"} - set(returned)
    assert sqs.deleted == [ran]
    assert processor.handled == [{"m1": "uploads/a/source", "m2": "uploads/b/source"}[ran]]


def test_a_job_past_the_drain_deadline_is_left_to_redelivery() -> None:
    sqs, gate = FakeSqs(), threading.Event()
    sqs.send(upload_body("uploads/a/source"))
    processor = FakeProcessor(gated(gate))
    try:
        with running(consumer(sqs, processor, drain_seconds=1), sqs) as run:
            wait_until(lambda: processor.running == 1, timeout=30, what="the job running")
            assert run.stop() is False
        assert sqs.deleted == []  # its message reappears after its visibility timeout
    finally:
        gate.set()


def test_a_busy_worker_is_protected_from_scale_in_until_it_stops() -> None:
    states: list[bool] = []

    def agent(request: httpx.Request) -> httpx.Response:
        states.append(httpx.Response(200, content=request.content).json()["ProtectionEnabled"])
        return httpx.Response(200, json={"protection": {"ProtectionEnabled": states[-1]}})

    client = httpx.Client(transport=httpx.MockTransport(agent))
    protection = ScaleInProtection("http://agent/api/task", expires_minutes=5, client=client)
    sqs, gate = FakeSqs(), threading.Event()
    sqs.send(upload_body("uploads/a/source"))
    processor = FakeProcessor(gated(gate))
    with running(consumer(sqs, processor, protection), sqs) as run:
        wait_until(lambda: processor.running == 1, timeout=30, what="the job running")
        assert states == [True]
        gate.set()
        wait_until(lambda: sqs.deleted == ["m1"], timeout=30, what="the message done")
        run.stop()
    assert states[-1] is False
