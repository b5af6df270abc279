"""Issue 17: a capacity model of the production worker fleet, simulated and drawn.

    PYTHONPATH=. .venv/bin/python bench/capacity.py --out DIR [--quick] [--trace FILE.csv] [--analysis]

Inputs are read, not retyped: the autoscaling, task size and concurrency from terraform/ (envs/prod over
modules/service defaults; bench/capmodel/params.py), per-image CPU from bench/results/stage.json (`bench/stage.py
--json-out`), the worker's own CPU per job and the validation run from bench/results/e2e_trace.json (`bench/e2e.py
--trace-out`), AWS behaviour with sources in bench/capmodel/facts.py, prices in bench/capmodel/prices.py (dated).

Prints the deployed fleet's parameters, the facts assumed, the validation against the local stack, a table per
scenario (peak backlog, latency percentiles, task-hours, cost per 1,000 images) with a PNG each in DIR, and for each
scenario the cheapest settings meeting the latency goal. --trace adds a scenario from a CSV: a `timestamp` or
`offset_seconds` column (one upload per row), or `minute,count` rows.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bench.capmodel import facts, prices
from bench.capmodel.params import read_fleet, read_job_costs
from bench.capmodel.plot import draw
from bench.capmodel.scenarios import HEADERS, IMAGE, job_model, recommend, run, scenarios, settings_text
from bench.capmodel.validate import TOLERANCE, replay
from bench.common import table


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNGs")
    parser.add_argument("--quick", action="store_true", help="short profiles, 2 settings searched (a smoke run)")
    parser.add_argument("--trace", type=Path, help="a CSV of uploads to add as a scenario")
    parser.add_argument("--analysis", action="store_true", help="analysis on: Rekognition latency and price")
    parser.add_argument("--goal", type=float, default=60.0, help="latency goal for p99, seconds (default 60)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    dt = 10.0 if args.quick else 5.0

    fleet, costs = read_fleet(), read_job_costs()
    job = job_model(costs, fleet, args.analysis)
    print(
        f"Deployed (terraform/envs/prod): {settings_text(fleet)}, scale-out cooldown {fleet.scale_out_cooldown:g} s, "
        f"scale-in cooldown {fleet.scale_in_cooldown:g} s, scale from zero +{fleet.from_zero_step} task after "
        f"{fleet.from_zero_evaluation_periods} x {fleet.from_zero_period} s, {fleet.cpu_architecture}"
    )
    print(
        f"Per job ({IMAGE}, bench/results of {costs.measured}): stage {costs.stage_cpu_s[IMAGE] * 1000:.0f} CPU ms + "
        f"worker overhead {costs.worker_overhead_cpu_s * 1000:.0f} ms; waiting on AWS {facts.IO_SECONDS.value:.2f} s "
        f"before the slot, {job.io_s:.2f} s in it and {job.tail_s:.2f} s after it"
    )
    table(["assumed", "value", "source"], [[f.what, f"{f.value:g}", f.source] for f in facts.ALL], title="AWS facts")

    check, beside = replay(fleet), replay(fleet, rate="backlog")
    verdict = "within" if check.within else "OUTSIDE"
    table(
        [
            "local stack, 1 worker",
            "jobs",
            "concurrency",
            "jobs/s",
            "measured p50 / p99 s",
            "model p50 / p99 s",
            "error p50 / p99",
        ],
        [
            [
                label,
                v.jobs,
                v.concurrency,
                v.jobs_per_s,
                "{:.2f} / {:.2f}".format(*v.measured),
                "{:.2f} / {:.2f}".format(*v.modelled),
                "{:+.0%} / {:+.0%}".format(*v.errors),
            ]
            for label, v in [
                ("bench/e2e.py live run replayed at its drain rate", check),
                ("the same, at the backlog run's rate (not the check)", beside),
            ]
        ],
        title=f"Validation: {verdict} the stated tolerance of {TOLERANCE:.0%}",
    )

    runs, advice = [], []
    for scenario in scenarios(args.quick, args.trace):
        deployed = run(scenario, fleet, costs, args.analysis, dt)
        runs.append(deployed)
        png = args.out / f"{slug(scenario.name)}.png"
        draw(deployed.result, f"{scenario.name}: deployed settings", png, args.goal)
        cheapest, fastest = recommend(
            scenario,
            fleet,
            costs,
            args.analysis,
            args.goal,
            args.quick,
            dt,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
        )
        advice.append((scenario.name, cheapest, fastest))
        print(f"{scenario.name}: ${deployed.cost.total:.4f} per 1,000 images (deployed settings) -> {png}", flush=True)
    table(
        HEADERS,
        [r.row() for r in runs],
        title=f"Deployed settings, analysis {'on' if args.analysis else 'off'} "
        f"(prices {prices.REGION}, {prices.PRICES_DATE})",
    )
    rows = []
    for name, cheapest, fastest in advice:
        best = cheapest or fastest
        meets = "yes" if cheapest else f"no (best p99 {fastest.result.percentile(99):.0f} s)"
        rows.append(
            [name, meets, settings_text(best.fleet), f"{best.result.percentile(99):.1f}", f"{best.cost.total:.4f}"]
        )
    table(
        ["scenario", f"p99 <= {args.goal:g} s", "cheapest settings (or fastest if none meets)", "p99 s", "$/1k"],
        rows,
        title="Recommendations",
    )


if __name__ == "__main__":
    main()
