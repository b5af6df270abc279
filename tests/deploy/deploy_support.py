"""Reading the deployment files the way Docker, Compose and GitHub Actions read them (the parts the tests need)."""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILES = {"api": ROOT / "Dockerfile.api", "worker": ROOT / "Dockerfile.worker"}
WORKFLOWS_DIR = ROOT / ".github" / "workflows"

# The directory the images declare writable (VOLUME, HOME, TMPDIR) and compose mounts as tmpfs.
IMAGE_TMP = "/tmp"


# --- Dockerfiles ---------------------------------------------------------------------------------------------


@dataclass
class Healthcheck:
    options: dict[str, str]
    command: list[str]  # exec form only: ["python", "-c", "..."]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def last(self, keyword: str) -> str | None:
        values = [arg for kw, arg in self.instructions if kw == keyword]
        return values[-1] if values else None

    def all(self, keyword: str) -> list[str]:
        return [arg for kw, arg in self.instructions if kw == keyword]

    @property
    def env(self) -> dict[str, str]:
        """ENV of this stage (`KEY=value` pairs, as Docker parses them with shell-like quoting)."""
        env: dict[str, str] = {}
        for arg in self.all("ENV"):
            for pair in shlex.split(arg):
                key, sep, value = pair.partition("=")
                assert sep, f"legacy `ENV key value` form is not supported here: {arg!r}"
                env[key] = value
        return env

    def exec_form(self, keyword: str) -> list[str] | None:
        """ENTRYPOINT/CMD as a list; raises if it is in shell form (which would not get SIGTERM as PID 1)."""
        raw = self.last(keyword)
        if raw is None:
            return None
        value = json.loads(raw)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), f"{keyword} is not exec form"
        return value

    @property
    def healthcheck(self) -> Healthcheck | None:
        raw = self.last("HEALTHCHECK")
        if raw is None or raw.strip() == "NONE":
            return None
        options: dict[str, str] = {}
        rest = raw.strip()
        while rest.startswith("--"):
            option, _, rest = rest.partition(" ")
            key, _, value = option[2:].partition("=")
            options[key] = value
            rest = rest.lstrip()
        keyword, _, command = rest.partition(" ")
        assert keyword == "CMD", f"HEALTHCHECK must be `CMD [...]`, got {raw!r}"
        value = json.loads(command)
        assert isinstance(value, list), "HEALTHCHECK CMD is not exec form"
        return Healthcheck(options, value)


def _logical_lines(text: str) -> list[str]:
    """Join `\\` continuations and drop comment lines, as the Dockerfile parser does."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


def parse_dockerfile(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        keyword, _, arg = line.partition(" ")
        keyword = keyword.upper()
        arg = arg.strip()
        if keyword == "FROM":
            parts = [p for p in arg.split() if not p.startswith("--")]
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append((keyword, arg))
    assert stages, f"{path.name} has no FROM"
    return stages


def final_stage(path: Path) -> Stage:
    return parse_dockerfile(path)[-1]


# --- compose -------------------------------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def service_environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's `environment` as a dict (compose accepts a mapping or a list of KEY=VALUE)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def service_dockerfile(service: dict[str, Any]) -> Path:
    build: dict[str, str] = service["build"]
    return ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")


def tmpfs_paths(service: dict[str, Any]) -> set[str]:
    tmpfs = service.get("tmpfs") or []
    entries = [tmpfs] if isinstance(tmpfs, str) else tmpfs
    return {entry.split(":", 1)[0] for entry in entries}


# --- workflows -----------------------------------------------------------------------------------------------


def load_workflow(path: Path) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True; GitHub reads it as "on".
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])


def workflow_jobs(name: str) -> dict[str, Any]:
    jobs = load_workflow(WORKFLOWS_DIR / name)["jobs"]
    assert isinstance(jobs, dict)
    return jobs


def job_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def job_runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job_steps(job))


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job_steps(job) if str(s.get("uses", "")).startswith(action + "@")]


def slack_jobs(name: str) -> dict[str, dict[str, Any]]:
    return {n: j for n, j in workflow_jobs(name).items() if steps_using(j, "slackapi/slack-github-action")}


# --- tools ---------------------------------------------------------------------------------------------------


def find_tool(name: str) -> str | None:
    """A command installed next to this interpreter (the venv, even when not activated) or on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


def vendored_schema(name: str) -> dict[str, Any]:
    """A JSON schema vendored by the `check-jsonschema` package (SchemaStore and upstream copies, checksummed)."""
    if importlib.util.find_spec("check_jsonschema") is None:
        raise RuntimeError("check-jsonschema is missing: it is in the `test` extra (pip install -e '.[test]')")
    schema_file = importlib.resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / f"{name}.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert isinstance(schema, dict)
    return schema
