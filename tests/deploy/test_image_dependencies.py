"""The images install the project from pyproject.toml alone: everything the code imports must be declared there.

A development venv hides a missing declaration (the package happens to be installed); the image does not, and its
ENTRYPOINT then dies with ModuleNotFoundError. Each third-party import must come from the declared dependencies
(or what they require, as pip would install it); an import made only inside a function may also come from an
extra (`ocr` for the worker's local engine, `local` for `imgpipe dev`). Imports under `if TYPE_CHECKING:` are
not needed at run time.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.deploy_support import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FIRST_PARTY = {p.rstrip("*").rstrip(".") for p in PROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}


def _closure(requirements: list[str]) -> set[str]:
    """Distributions pip installs for these requirements (markers evaluated here, extras followed)."""
    seen: set[str] = set()
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        if name == canonicalize_name(PROJECT["project"]["name"]):  # `imgpipe[local]` in an extra
            todo += [
                (Requirement(r), "") for e in requirement.extras for r in PROJECT["project"]["optional-dependencies"][e]
            ]
            continue
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            children = requires(requirement.name) or []
        except PackageNotFoundError:
            continue
        for child in children:
            todo.append((Requirement(child), ""))
            todo += [(Requirement(child), e) for e in requirement.extras]
    return {key.split("[")[0] for key in seen}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, imported at module level?) for each run-time import of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_checking = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    in_function = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(name.split(".")[0], id(node) not in in_function) for name in names]
    return found


def test_the_code_imports_only_what_the_image_installs() -> None:
    distributions = packages_distributions()
    project = PROJECT["project"]
    core = _closure(project["dependencies"])
    extras = _closure([r for group in project["optional-dependencies"].values() for r in group])
    problems: set[str] = set()
    for package in sorted(FIRST_PARTY):
        for path in sorted((ROOT / package).rglob("*.py")):
            for module, at_module_level in _imports(path):
                if module in FIRST_PARTY or module in sys.stdlib_module_names or module == "__future__":
                    continue
                provided_by = {canonicalize_name(d) for d in distributions.get(module, [module])}
                allowed = core if at_module_level else core | extras
                if not provided_by & allowed:
                    where = "module level" if at_module_level else "in a function"
                    problems.add(f"{path.relative_to(ROOT)}: `import {module}` ({where}) from {sorted(provided_by)}")
    if problems:
        pytest.fail("not declared in pyproject.toml, so missing from the images:\n" + "\n".join(sorted(problems)))
