"""bench/capacity.py: its parameters follow Terraform, its simulation queues and scales as the deployed policies do,
and its --quick run writes a picture and a cost per scenario (figures are not asserted)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.capmodel import profiles
from bench.capmodel.params import read_fleet, read_job_costs
from bench.capmodel.scenarios import job_model
from bench.capmodel.sim import JobModel, simulate
from bench.capmodel.validate import replay
from tests.bench.scripts import ROOT, run_bench


def _set_default(path: Path, variable: str, value: str) -> None:
    text = path.read_text()
    pattern = rf'(variable "{variable}" \{{.*?default\s*=\s*)[^\n]+'
    changed, count = re.subn(pattern, rf"\g<1>{value}", text, count=1, flags=re.S)
    assert count == 1, f"no default for {variable} in {path}"
    path.write_text(changed)


@pytest.fixture
def terraform_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "terraform"
    shutil.copytree(ROOT / "terraform", copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    return copy


def test_model_reads_the_settings_terraform_deploys(terraform_copy: Path) -> None:
    before = read_fleet(terraform_copy)
    prod, module = terraform_copy / "envs/prod/variables.tf", terraform_copy / "modules/service/variables.tf"
    _set_default(prod, "worker_max_capacity", "37")
    _set_default(prod, "avg_processing_seconds", "2.5")  # the backlog target is 60 / 2.5 * concurrency
    _set_default(prod, "worker_min_capacity", "0")
    _set_default(module, "worker_scale_out_cooldown_seconds", "45")  # not set by envs/prod: the module's counts
    _set_default(module, "worker_cpu", "2048")
    after = read_fleet(terraform_copy)
    assert (after.max_tasks, after.min_tasks, after.scale_out_cooldown, after.worker_cpu) == (37, 0, 45, 2048)
    assert after.backlog_per_task_target == 60 / 2.5 * before.worker_concurrency
    assert after.backlog_per_task_target == 2 * before.backlog_per_task_target


def test_a_root_argument_wins_over_the_module_default(terraform_copy: Path) -> None:
    """envs/prod passes its own worker_concurrency: the module's default is not what is deployed."""
    before = read_fleet(terraform_copy)
    _set_default(terraform_copy / "modules/service/variables.tf", "worker_concurrency", "7")
    assert read_fleet(terraform_copy).worker_concurrency == before.worker_concurrency
    _set_default(terraform_copy / "envs/prod/variables.tf", "worker_concurrency", "7")
    assert read_fleet(terraform_copy).worker_concurrency == 7


def test_a_changed_target_formula_changes_the_model(terraform_copy: Path) -> None:
    main = terraform_copy / "modules/service/main.tf"
    text = main.read_text()
    formula = "var.acceptable_latency_seconds / var.avg_processing_seconds * var.worker_concurrency"
    assert formula in text
    main.write_text(text.replace(formula, f"{formula} * 3"))
    assert read_fleet(terraform_copy).backlog_per_task_target == 3 * read_fleet().backlog_per_task_target


def test_one_fixed_task_serves_a_queue_first_in_first_out() -> None:
    fleet = read_fleet().but(worker_cpu=1024, worker_concurrency=1, min_tasks=1, max_tasks=1)
    result = simulate(fleet, JobModel(cpu_s=1.0, io_s=0.0, event_delay_s=0.0), np.zeros(100), dt=1.0)
    assert sorted(result.latencies.round(6)) == list(range(1, 101))
    assert result.backlog.max() > 0


def test_slots_share_the_tasks_vcpu_so_a_saturated_task_does_its_cpu_seconds_per_second() -> None:
    """Four slots on one vCPU, 100 jobs of 1 CPU second each waiting: the task clears about one a second, whatever the
    step (each job's share of the vCPU is fixed when it starts, so the first few run faster: within 3 %)."""
    fleet = read_fleet().but(worker_cpu=1024, worker_concurrency=4, min_tasks=1, max_tasks=1)
    for dt in (0.5, 5.0):
        result = simulate(fleet, JobModel(cpu_s=1.0, io_s=0.0, event_delay_s=0.0), np.zeros(100), dt=dt)
        assert 97 <= result.latencies.max() <= 103


def test_the_wait_after_a_job_gives_its_slot_back_adds_latency_not_slot_time() -> None:
    """The worker's tail (outputs stored, outcome recorded and published) runs without the slot: the next job starts
    when the image work ends, and each job's latency includes its own tail."""
    fleet = read_fleet().but(worker_cpu=1024, worker_concurrency=1, min_tasks=1, max_tasks=1)
    result = simulate(fleet, JobModel(cpu_s=1.0, io_s=0.0, event_delay_s=0.0, tail_s=2.0), np.zeros(10), dt=1.0)
    assert sorted(result.latencies.round(6)) == [n + 2 for n in range(1, 11)]


def test_the_replay_takes_the_live_runs_arrivals_and_drain_rate_and_predicts_its_latencies(tmp_path: Path) -> None:
    """A run that queued as a FIFO does (60 uploads ending 20 ms apart, drained at 10 jobs/s, a lone job taking
    0.3 s from upload to completed) is reproduced; latencies count from the end of each upload (slow uploads, started
    a second before, are the client's network), and a run that drained faster than the model is told is flagged."""
    uploaded = [1000 + 0.02 * i for i in range(60)]
    completions, last = [], 0.0
    for t in uploaded:
        last = max(t + 0.3, last + 0.1)
        completions.append(last)
    trace = {
        "worker_concurrency": 4,
        "isolated_seconds": [1.3] * 5,
        "isolated_upload_seconds": [1.0] * 5,
        "arrivals": [t - 1.0 for t in uploaded],
        "uploaded": uploaded,
        "completions": completions,
        "live_drain_rate": 10.0,
        "backlog_rate": 20.0,
    }
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(trace))
    live = replay(read_fleet(), path)
    latencies = np.array(completions) - uploaded
    assert live.measured == pytest.approx((np.percentile(latencies, 50), np.percentile(latencies, 99)))
    assert all(abs(e) < 0.05 for e in live.errors) and live.within
    faster = replay(read_fleet(), path, rate="backlog")
    assert faster.errors[0] < -0.3 and not faster.within


def test_a_saturated_task_of_the_deployed_model_is_bound_by_its_cpu_not_by_the_claim_and_read() -> None:
    """The worker claims a job and reads its upload before taking a slot (worker/consumer.py): those round trips add
    to each job's latency, not to the slot's time, so one deployed task clears a backlog at its vCPU over the CPU per
    job (with them in the slot, 200 jobs at 4 slots took ~6 s more)."""
    fleet = read_fleet().but(min_tasks=1, max_tasks=1)
    job = job_model(read_job_costs(), fleet, analysis=False)
    result = simulate(fleet, job, np.zeros(200), dt=0.5)
    cpu_bound = 200 * job.cpu_s / fleet.vcpu + job.event_delay_s + job.head_s + job.tail_s
    assert result.latencies.max() == pytest.approx(cpu_bound, rel=0.03)


def test_the_claim_and_read_overlap_the_image_work_only_as_far_as_the_room_in_hand() -> None:
    """One vCPU, 200 jobs of 0.1 CPU s and 0.3 s of claim and read. One slot, so one message in hand beside it: a
    job's claim starts when the job ahead takes the slot, and the slot waits for it (0.3 s a job). Four slots, four in
    hand: the claims are hidden behind the image work (0.1 s a job)."""
    job = JobModel(cpu_s=0.1, io_s=0.0, event_delay_s=0.0, head_s=0.3)
    for concurrency, per_job in ((1, 0.3), (4, 0.1)):
        fleet = read_fleet().but(worker_cpu=1024, worker_concurrency=concurrency, min_tasks=1, max_tasks=1)
        result = simulate(fleet, job, np.zeros(200), dt=0.5)
        assert result.latencies.max() == pytest.approx(200 * per_job, rel=0.03)


def test_from_zero_the_step_policy_starts_a_task_then_target_tracking_scales_out() -> None:
    fleet = read_fleet().but(min_tasks=0, max_tasks=10)
    result = simulate(fleet, JobModel(cpu_s=0.5, io_s=0.0), profiles.burst(6000, 300), dt=5.0)
    assert result.running[0] == 0
    first = int(np.argmax(result.running > 0))
    assert first >= 1  # no task before the alarm has seen a period with messages and none running
    assert result.running.max() > 1 and result.desired.max() <= 10
    assert result.running[-1] == 0 and not np.isnan(result.latencies).any()


def test_a_trace_csv_needs_known_columns(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("minute,count\n0,3\n2,1\n")
    assert list(profiles.from_csv(good)) == pytest.approx([0, 20, 40, 140])
    bad.write_text("when\n1\n")
    with pytest.raises(ValueError, match="expected columns"):
        profiles.from_csv(bad)


def test_quick_run_writes_a_picture_and_a_cost_per_scenario(tmp_path: Path) -> None:
    trace = tmp_path / "uploads.csv"
    trace.write_text("offset_seconds\n" + "".join(f"{i * 0.5}\n" for i in range(300)))
    out = tmp_path / "figures"
    stdout = run_bench(
        "bench/capacity.py", "--quick", "--out", str(out), "--trace", str(trace), timeout=300, env={"MPLBACKEND": "Agg"}
    )
    costs = re.findall(r"^(.+): \$(\d+\.\d+) per 1,000 images .* -> (\S+\.png)$", stdout, flags=re.M)
    assert len(costs) == 4, stdout  # three quick profiles and the trace
    for _, dollars, png in costs:
        assert float(dollars) > 0 and Path(png).parent == out and Path(png).read_bytes()[:4] == b"\x89PNG"
    assert "| scenario | images | peak backlog |" in re.sub(r" +", " ", stdout)
    assert "## Recommendations" in stdout and "## Validation:" in stdout
