"""The fleet's settings as Terraform deploys them, read from terraform/ (not retyped), and the measured job costs.

The deployed root is terraform/envs/prod: a service-module argument it sets comes from the root's own variable
default; one it does not set comes from the module's default. Expressions (the backlog target is
`local.backlog_per_task_target`) are evaluated from their HCL text, so a changed formula changes the model too.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
STAGE_RESULTS = RESULTS / "stage.json"  # written by `bench/stage.py --json-out`
E2E_TRACE = RESULTS / "e2e_trace.json"  # written by `bench/e2e.py --trace-out`
ROOT = "envs/prod"
E2E_INPUT = "1 MP JPEG 1155x866 q90"  # what bench/e2e.py uploads (its WIDTH x HEIGHT), a row of stage.json
# The module variables the model reads (directly or through the backlog target and the autoscaling resources).
NEEDED = (
    "worker_cpu",
    "worker_memory",
    "worker_concurrency",
    "worker_min_capacity",
    "worker_max_capacity",
    "acceptable_latency_seconds",
    "avg_processing_seconds",
    "worker_scale_out_cooldown_seconds",
    "worker_scale_in_cooldown_seconds",
    "cpu_architecture",
)
MODULE = "modules/service"


@dataclass(frozen=True)
class Fleet:
    """What the model needs of the deployed worker service (names follow the Terraform variables)."""

    worker_cpu: int  # Fargate CPU units (1024 = 1 vCPU)
    worker_memory: int  # MiB
    worker_concurrency: int
    min_tasks: int
    max_tasks: int
    backlog_per_task_target: float
    avg_processing_seconds: float  # the target's divisor; recommendations are written back through it
    scale_out_cooldown: float
    scale_in_cooldown: float
    from_zero_step: int  # tasks the scale-from-zero step policy adds (only when min_tasks == 0)
    from_zero_cooldown: float  # seconds, the step policy's own cooldown
    from_zero_period: int  # seconds, its alarm's metric period
    from_zero_evaluation_periods: int
    cpu_architecture: str

    @property
    def vcpu(self) -> float:
        return self.worker_cpu / 1024

    def but(self, **changes: Any) -> Fleet:
        return replace(self, **changes)


def _unquote(value: Any) -> Any:
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def _load(path: Path) -> dict[str, Any]:
    with path.open() as f:
        return dict(hcl2.load(f))


def variable_defaults(folder: Path) -> dict[str, Any]:
    data = _load(folder / "variables.tf")
    return {_unquote(k): _unquote(v.get("default")) for block in data["variable"] for k, v in block.items()}


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def evaluate(expression: Any, names: dict[str, Any]) -> Any:
    """A literal, or `${...}` arithmetic over var./local. names (all this model needs; anything else is an error)."""
    if not isinstance(expression, str) or not expression.startswith("${"):
        return expression
    text = re.sub(r"\b(var|local)\.(\w+)", lambda m: f"__{m[1]}__{m[2]}", expression[2:-1])

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return names[node.id.replace("__var__", "var.").replace("__local__", "local.")]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(f"unsupported Terraform expression for the capacity model: {expression}")

    return walk(ast.parse(text, mode="eval"))


def _blocks(data: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    for block in data.get(kind, []):
        for key, value in block.items():
            if _unquote(key) == name:
                return dict(value)
    raise KeyError(f"{kind} {name} not found")


def _resource(data: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    for block in data["resource"]:
        for named in (v for k, v in block.items() if _unquote(k) == kind):
            for key, value in named.items():
                if _unquote(key) == name:
                    return dict(value)
    raise KeyError(f"resource {kind}.{name} not found")


def read_fleet(terraform: Path = REPO / "terraform") -> Fleet:
    root, module = terraform / ROOT, terraform / MODULE
    root_vars = {f"var.{k}": v for k, v in variable_defaults(root).items()}
    call = _blocks(_load(root / "main.tf"), "module", "service")
    values = variable_defaults(module)
    for key in NEEDED:
        if key in call:
            values[key] = evaluate(call[key], root_vars)
    names: dict[str, Any] = {f"var.{k}": values[k] for k in NEEDED}
    for block in _load(module / "main.tf").get("locals", []):
        for key, expr in block.items():
            if key == "backlog_per_task_target":
                names[f"local.{key}"] = evaluate(expr, names)
    scaling = _load(module / "autoscaling.tf")
    tracking = _resource(scaling, "aws_appautoscaling_policy", "worker_backlog")
    config = tracking["target_tracking_scaling_policy_configuration"][0]
    target = _resource(scaling, "aws_appautoscaling_target", "worker")
    step = _resource(scaling, "aws_appautoscaling_policy", "worker_from_zero")["step_scaling_policy_configuration"][0]
    alarm = _resource(scaling, "aws_cloudwatch_metric_alarm", "worker_from_zero")
    periods = {int(q["metric"][0]["period"]) for q in alarm["metric_query"] if "metric" in q}
    return Fleet(
        worker_cpu=int(values["worker_cpu"]),
        worker_memory=int(values["worker_memory"]),
        worker_concurrency=int(values["worker_concurrency"]),
        min_tasks=int(evaluate(target["min_capacity"], names)),
        max_tasks=int(evaluate(target["max_capacity"], names)),
        backlog_per_task_target=float(evaluate(config["target_value"], names)),
        avg_processing_seconds=float(values["avg_processing_seconds"]),
        scale_out_cooldown=float(evaluate(config["scale_out_cooldown"], names)),
        scale_in_cooldown=float(evaluate(config["scale_in_cooldown"], names)),
        from_zero_step=int(evaluate(step["step_adjustment"][0]["scaling_adjustment"], names)),
        from_zero_cooldown=float(evaluate(step["cooldown"], names)),
        from_zero_period=max(periods),
        from_zero_evaluation_periods=int(evaluate(alarm["evaluation_periods"], names)),
        cpu_architecture=str(values["cpu_architecture"]),
    )


@dataclass(frozen=True)
class JobCosts:
    """Per-image costs measured by the benchmarks (bench/results/*.json), not typed in here."""

    stage_cpu_s: dict[str, float]  # input -> CPU seconds of the image stage (bench/stage.py)
    io_bytes: dict[str, tuple[int, int]]  # input -> (upload bytes, output bytes)
    worker_overhead_cpu_s: float  # worker CPU per job beyond the stage (bench/e2e.py, one job at a time)
    measured: str


def read_job_costs(stage: Path = STAGE_RESULTS, trace: Path = E2E_TRACE) -> JobCosts:
    results = json.loads(stage.read_text())
    e2e = json.loads(trace.read_text())
    product = results["product"]
    # bench/e2e.py runs 1 MP JPEGs: the worker's CPU per job there beyond the stage's CPU on the same input.
    overhead = max(0.0, e2e["worker_cpu_seconds"] - product[E2E_INPUT]["cpu_ms"] / 1000)
    return JobCosts(
        stage_cpu_s={k: v["cpu_ms"] / 1000 for k, v in product.items()},
        io_bytes={k: (int(v["input_bytes"]), int(v["output_bytes"])) for k, v in product.items()},
        worker_overhead_cpu_s=overhead,
        measured=str(results["measured"]),
    )
