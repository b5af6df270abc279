"""Soak: push N jobs through the local stack with faults on, then count what was lost, stranded or duplicated.

Faults: every worker's AWS calls fail at --fault-rate before being sent (botocore retries, the pipeline
redelivers), and every --kill-every seconds one worker is killed with SIGKILL and replaced (its jobs are taken over
after their lease). Poison inputs are mixed in (--poison share) and must end `failed`, not cycle. Text analysis is
off: this measures delivery semantics, not OCR (as tests/e2e/test_reliability.py does).

Scenarios (--scenario) set the retry budget:
  mixed         max_receive_count 8: crashes and faults are retried; every job should complete (or fail on poison).
  kill-last     max_receive_count 1: every delivery is the last, so each job a killed worker held is dead-lettered
                and only the sweeper can end it (`failed`, processing_retries_exhausted).
  crash-budget  max_receive_count 2, no injected faults: a crash must cost one delivery, so a job hit by one crash
                still completes; a job failed with fewer claims than deliveries lost a delivery to a bounce.

    PYTHONPATH=. .venv/bin/python bench/soak.py --jobs 1000 --scenario kill-last

Prints: completed, failed by code, lost (never reached a terminal status), stranded (of those, left `processing`),
never claimed (of those, left `upload_pending`: their last delivery died between the receive and the claim, so the
message is dead-lettered; a sweeper fails them with processing_retries_exhausted only once their upload window has
ended, after this script stops waiting for them), exhausted with
unclaimed deliveries (a delivery that did not claim: a bounce off a dead worker's lease, or a kill before the
claim), and the duplicate-publish fields below. Target: 0 stranded, 0 jobs with two outcomes; an outcome sent twice
(one dedup_id, two MessageIds) is what a SIGKILL between a publish and its record costs, and why it has a dedup_id.

With --duplicates, every upload event is queued twice and all of them before any worker starts, so two copies
of each job race (issue 13, point 4):

    PYTHONPATH=. .venv/bin/python bench/soak.py --jobs 1000 --duplicates --kill-every 0 --fault-rate 0

Prints: completed, failed by code, lost (never reached a terminal status), duplicate publishes (a job whose outcome
was published more than once: distinct SNS MessageIds), duplicate deliveries (one publish delivered twice by SNS)
jobs with two outcomes (different dedup_ids) and outcomes never published. Target: 0 lost, 0 duplicate publishes.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cli.stack import start_local_stack
from core.aws import AwsClients
from core.config import Settings
from core.jobs import TERMINAL
from harness.images import jpeg, png
from harness.jobs import api_client, submit
from harness.queues import SnsInbox, queue_every_event_twice, queue_settled, wait_settled

# scenario -> (max_receive_count, default fault rate, default seconds between kills)
SCENARIOS = {"mixed": (8, 0.05, 10.0), "kill-last": (1, 0.0, 5.0), "crash-budget": (2, 0.0, 5.0)}


def _inputs(count: int, poison_share: float, seed: int) -> list[tuple[bytes, str, str | None]]:
    """(bytes, content type, expected error code or None) for each job; a few distinct images, reused."""
    rng = random.Random(seed)
    good = [(jpeg(320, 240), "image/jpeg"), (png(200, 150), "image/png"), (jpeg(800, 600, orientation=6), "image/jpeg")]
    bad = [
        (b"not an image at all", "image/png", "unsupported_format"),
        (jpeg(300, 200)[:900], "image/jpeg", "corrupt_image"),
    ]
    out: list[tuple[bytes, str, str | None]] = []
    for _ in range(count):
        if rng.random() < poison_share:
            data, content_type, code = rng.choice(bad)
            out.append((data, content_type, code))
        else:
            data, content_type = rng.choice(good)
            out.append((data, content_type, None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="mixed")
    parser.add_argument("--fault-rate", type=float, help="default: the scenario's")
    parser.add_argument("--kill-every", type=float, help="seconds between worker kills (0: never; default: scenario)")
    parser.add_argument("--poison", type=float, default=0.05, help="share of jobs with bad input")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds to wait for every job to end")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--duplicates", action="store_true", help="queue every event twice, all before the workers start"
    )
    args = parser.parse_args()
    max_receives, fault_rate, kill_every = SCENARIOS[args.scenario]
    args.fault_rate = fault_rate if args.fault_rate is None else args.fault_rate
    args.kill_every = kill_every if args.kill_every is None else args.kill_every

    settings = Settings(
        visibility_timeout_seconds=10,
        retry_base_seconds=1,
        max_receive_count=max_receives,
        drain_seconds=5,
        sweep_interval_seconds=2,
        sweep_grace_seconds=2,
        analysis_engine="off",  # delivery semantics, not OCR (as tests/e2e/test_reliability.py)
    )
    stack = start_local_stack(settings, workers=0)
    stop_chaos = threading.Event()
    kills = 0
    try:
        if not args.duplicates:
            for _ in range(args.workers):
                stack.add_worker(fault_injection_rate=args.fault_rate)
        clients = AwsClients(stack.settings)
        inbox = SnsInbox(clients.sqs, clients.sns, stack.provisioned.topic_arn)
        api = api_client(stack, timeout=60)

        def chaos() -> None:
            nonlocal kills
            while args.kill_every and not stop_chaos.wait(args.kill_every):
                victim = random.choice([w for w in stack.workers if w.alive()])
                victim.kill()
                kills += 1
                stack.add_worker(fault_injection_rate=args.fault_rate)

        inputs = _inputs(args.jobs, args.poison, args.seed)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            job_ids = list(pool.map(lambda item: submit(api, item[0], item[1]), inputs))
        uploaded = time.monotonic() - started
        if args.duplicates:
            queue_every_event_twice(clients.sqs, stack.provisioned.queue_url, len(job_ids))
            for _ in range(args.workers):
                stack.add_worker(fault_injection_rate=args.fault_rate)
            started = time.monotonic()  # the jobs' clock starts with the workers
        threading.Thread(target=chaos, daemon=True).start()
        print(f"submitted {len(job_ids)} jobs in {uploaded:.1f}s; waiting for them to end...", flush=True)

        status: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + args.deadline
        pending = set(job_ids)
        last_seen: dict[str, str | None] = {}
        while pending and time.monotonic() < deadline:
            for job_id in list(pending):
                job = api.get(f"/v1/jobs/{job_id}").json()
                last_seen[job_id] = job.get("status")
                if job.get("status") in TERMINAL:
                    status[job_id] = job
                    pending.discard(job_id)
            never_delivered = all(last_seen[j] == "upload_pending" for j in pending)
            if pending and never_delivered and queue_settled(clients.sqs, stack.provisioned.queue_url):
                break  # no message left for them: their last delivery died before claiming (see "never_claimed")
            if pending:
                time.sleep(0.5)  # a polling interval over many jobs, not a wait for one condition
        elapsed = time.monotonic() - started
        stop_chaos.set()

        # Outcomes are published after they are stored, and duplicates settle after that: count once the queue is
        # empty (a duplicate that finds an outcome not yet published comes back after the visibility timeout).
        try:
            wait_settled(clients.sqs, stack.provisioned.queue_url, timeout=120)
            settled = True
        except TimeoutError:
            settled = False
        inbox.for_job(job_ids[0], at_least=0)
        publishes: dict[str, set[str]] = collections.defaultdict(set)
        dedup_ids: dict[str, set[str]] = collections.defaultdict(set)
        for m in inbox.received:
            publishes[m["body"]["job_id"]].add(m["message_id"])
            dedup_ids[m["body"]["job_id"]].add(m["attributes"].get("dedup_id", ""))
        redelivered = len(inbox.received) - sum(len(ids) for ids in publishes.values())
        counts = collections.Counter(j["status"] for j in status.values())
        codes = collections.Counter(j["error"]["code"] for j in status.values() if j.get("error"))
        wrong = [
            job_id
            for job_id, (_, _, code) in zip(job_ids, inputs, strict=True)
            if job_id in status and (status[job_id].get("error") or {}).get("code") != code
        ]
        duplicated = [job_id for job_id in status if len(publishes[job_id]) > 1]
        unpublished = [job_id for job_id in status if not publishes[job_id]]
        attempts = [j["attempts"] for j in status.values()]
        stranded = [job_id for job_id in pending if last_seen[job_id] == "processing"]
        never_claimed = [job_id for job_id in pending if last_seen[job_id] == "upload_pending"]
        # Every delivery of a job claims it unless a live lease turned it away: fewer claims than the budget on a
        # job whose retries ran out means a delivery was spent without one.
        unclaimed = [
            job_id
            for job_id, job in status.items()
            if (job.get("error") or {}).get("code") == "processing_retries_exhausted" and job["attempts"] < max_receives
        ]

        print(
            json.dumps(
                {
                    "scenario": args.scenario,
                    "jobs": args.jobs,
                    "workers": args.workers,
                    "max_receive_count": max_receives,
                    "fault_rate": args.fault_rate,
                    "worker_kills": kills,
                    "seconds": round(elapsed, 1),
                    "jobs_per_second": round(len(status) / elapsed, 1),
                    "completed": counts.get("completed", 0),
                    "failed_by_code": dict(codes),
                    "lost": len(pending),
                    "stranded": len(stranded),
                    "never_claimed": len(never_claimed),
                    "exhausted_with_unclaimed_deliveries": len(unclaimed),
                    "queue_settled": settled,
                    "duplicates_queued": args.duplicates,
                    "duplicate_publishes": len(duplicated),
                    # Of those, jobs whose copies carry different dedup_ids: two outcomes recorded for one job (a
                    # same-id copy is one outcome sent again, e.g. a worker killed between its publish and its record).
                    "jobs_with_two_outcomes": sum(len(dedup_ids[job_id]) > 1 for job_id in duplicated),
                    "duplicate_deliveries": redelivered,
                    # Same id twice: one outcome published twice; different ids: two attempts both recorded one.
                    "duplicate_publish_dedup_ids": sorted(sorted(dedup_ids[job_id]) for job_id in duplicated)[:10],
                    "outcome_not_published": len(unpublished),
                    "unexpected_outcome": len(wrong),
                    "attempts_mean": round(statistics.fmean(attempts), 3) if attempts else None,
                    "attempts_max": max(attempts, default=None),
                },
                indent=2,
            )
        )
    finally:
        stop_chaos.set()
        stack.stop()


if __name__ == "__main__":
    main()
