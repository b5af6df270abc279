"""Refuse to deploy unless the `production` environment exists and has required reviewers.

The approval gate lives in GitHub's settings: if the environment is missing, GitHub creates it, unprotected, the
moment a job names it, and the deploy role (which trusts `environment:production`) then deploys unapproved. This
check runs before any job that names the environment.

    python3 -m deploy.environment_gate --repo OWNER/REPO --environment production

Needs GITHUB_TOKEN with `actions: read`. Exit 0 when protected, 1 (with the reason) otherwise.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from collections.abc import Sequence
from typing import Any

from deploy.github_api import GitHubApiError, get_json


def reviewer_names(environment: dict[str, Any]) -> list[str]:
    """The required reviewers (users and teams) of an environment, as the REST API describes it."""
    names: list[str] = []
    for rule in environment.get("protection_rules") or []:
        if rule.get("type") != "required_reviewers":
            continue
        for entry in rule.get("reviewers") or []:
            reviewer = entry.get("reviewer") or {}
            name = reviewer.get("login") or reviewer.get("slug") or reviewer.get("name") or "?"
            names.append(f"{entry.get('type', '?')} {name}")
    return names


def assess(environment: str, status: int, body: dict[str, Any]) -> str | None:
    """None when the API's answer shows required reviewers, else why the deploy must stop."""
    if status == 404:
        return (
            f"the `{environment}` environment does not exist: GitHub would create it without protection. Create it "
            "with required reviewers (docs/deploy.md, GitHub settings)"
        )
    if status != 200:
        return f"cannot read the `{environment}` environment (HTTP {status}: {body.get('message', '')})"
    if not reviewer_names(body):
        return (
            f"the `{environment}` environment has no required reviewers: a deploy would not wait for an approval. "
            "Add them (Settings > Environments)"
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m deploy.environment_gate", description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="OWNER/REPO")
    parser.add_argument("--environment", default="production")
    args = parser.parse_args(argv)
    try:
        status, body = get_json(f"/repos/{args.repo}/environments/{urllib.parse.quote(args.environment, safe='')}")
        problem = assess(args.environment, status, body)
    except GitHubApiError as exc:
        problem = str(exc)
    if problem:
        print(f"::error::refusing to deploy: {problem}", file=sys.stderr)
        return 1
    print(f"`{args.environment}` requires an approval from: {', '.join(reviewer_names(body))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
