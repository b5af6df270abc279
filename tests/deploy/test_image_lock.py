"""The images install locked, hashed dependencies in a layer before the code, on a base pinned by digest.

requirements/*.txt come from `make lock` (uv pip compile --generate-hashes from pyproject.toml). Re-resolving here
would need the network; these tests check what a stale or hand-edited lock gets wrong: every direct dependency
pinned exactly, within its range in pyproject.toml, with hashes, and the images using the right lock.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.deploy_support import DOCKERFILES, ROOT, parse_dockerfile

REQUIREMENTS = ROOT / "requirements"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What a code change touches: the project metadata and its packages.
CODE = ("pyproject.toml", "README.md", "api", "cli", "core", "worker")
DIGEST_PINNED = re.compile(r"^[\w./-]+:[\w.-]*\d+\.\d+\.\d+[\w.-]*@sha256:[0-9a-f]{64}$")
# Which lock each image installs, and what it must cover.
LOCKS = {
    "image.txt": PROJECT["project"]["dependencies"],
    "image-ocr.txt": PROJECT["project"]["dependencies"] + PROJECT["project"]["optional-dependencies"]["ocr"],
    "build.txt": PROJECT["build-system"]["requires"],
}

dockerfiles = pytest.mark.parametrize("path", list(DOCKERFILES.values()), ids=list(DOCKERFILES))


def _pins(lock: Path) -> dict[str, list[tuple[str, int]]]:
    """name -> [(version, number of hashes)] (a name appears once per marker, e.g. numpy for two Pythons)."""
    pins: dict[str, list[tuple[str, int]]] = {}
    text = lock.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split(" --hash=")
        parsed = Requirement(requirement.strip())
        (specifier,) = parsed.specifier
        assert specifier.operator == "==", f"{lock.name}: {line[:80]} is not pinned exactly"
        hashes = [o for o in options if re.fullmatch(r"sha256:[0-9a-f]{64}", o.strip())]
        pins.setdefault(canonicalize_name(parsed.name), []).append((specifier.version, len(hashes)))
    return pins


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_direct_dependency_is_locked_with_hashes(lock: str) -> None:
    path = REQUIREMENTS / lock
    assert path.read_text(encoding="utf-8").splitlines()[1].strip() == "#    make lock", "regenerate with make lock"
    pins = _pins(path)
    assert pins
    for name, versions in pins.items():
        assert all(count >= 1 for _, count in versions), f"{lock}: {name} has no hash"
    for declared in LOCKS[lock]:
        requirement = Requirement(declared)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} lacks {requirement.name}: run `make lock`"
        for version, _ in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{lock}: {name}=={version} is outside pyproject.toml's {requirement.specifier}: run `make lock`"
            )


def test_the_ocr_lock_is_the_base_lock_plus_the_extra() -> None:
    base, ocr = _pins(REQUIREMENTS / "image.txt"), _pins(REQUIREMENTS / "image-ocr.txt")
    shared = {name for name in base if name in ocr}
    assert shared == set(base), f"missing from image-ocr.txt: {sorted(set(base) - shared)}"


@dockerfiles
def test_bases_are_pinned_by_digest(path: Path) -> None:
    stages = parse_dockerfile(path)
    names = {s.name for s in stages if s.name}
    bases = {s.base for s in stages if s.base not in names}
    assert len(bases) == 1, f"{path.name}: one base image for every stage, got {bases}"
    (base,) = bases
    assert DIGEST_PINNED.match(base), f"{path.name}: {base} is not pinned as tag@sha256:<digest>"


@dockerfiles
def test_dependencies_install_from_the_lock_before_the_code_is_copied(path: Path) -> None:
    build = parse_dockerfile(path)[0]
    order = build.instructions
    code_copies = [i for i, (kw, arg) in enumerate(order) if kw == "COPY" and arg.split()[0] in CODE]
    assert code_copies, f"{path.name}: the build stage copies no code?"
    first_code = min(code_copies)
    lock_installs = [
        i for i, (kw, arg) in enumerate(order) if kw == "RUN" and "--require-hashes" in arg and "-r " in arg
    ]
    assert lock_installs and max(lock_installs) < first_code, f"{path.name}: install the lock before COPY of the code"
    before = " ".join(arg for kw, arg in order[:first_code] if kw in ("COPY", "RUN"))
    copied_before = " ".join(arg for kw, arg in order[:first_code] if kw == "COPY")
    for lock in ("image.txt", "build.txt"):
        assert f"requirements/{lock}" in copied_before, f"{path.name}: COPY requirements/{lock} before the code"
    # Wheels only and exactly the lock: nothing resolved, nothing compiled, nothing unhashed. The one source package
    # is pyvips (pure Python, published only as an sdist), built with the locked setuptools, not an unhashed one.
    assert before.count("--no-deps --only-binary :all:") >= 2
    assert re.findall(r"--no-binary (\S+)", before) == ["pyvips"]
    assert "--no-binary pyvips --no-build-isolation" in " ".join(before.split())
    assert before.index("-r requirements/build.txt") < before.index("--no-binary pyvips")
    # The project goes in on top without touching the dependencies.
    after = " ".join(arg for kw, arg in order[first_code:] if kw == "RUN")
    assert "--no-deps --no-build-isolation" in after and "--no-deps --no-index" in after
    assert "pip check" in after


def test_the_worker_image_picks_the_ocr_lock_from_its_build_arg() -> None:
    runs = " ".join(parse_dockerfile(DOCKERFILES["worker"])[0].all("RUN"))
    assert "true) lock=requirements/image-ocr.txt" in runs
    assert "false) lock=requirements/image.txt" in runs
    api_runs = " ".join(parse_dockerfile(DOCKERFILES["api"])[0].all("RUN"))
    assert "-r requirements/image.txt" in api_runs and "image-ocr" not in api_runs
