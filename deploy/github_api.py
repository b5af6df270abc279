"""GET a GitHub REST API resource with the job's token (stdlib only; GITHUB_API_URL also covers GitHub Enterprise)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class GitHubApiError(RuntimeError):
    """The API could not be asked, or refused with a status the caller does not handle."""


def get_json(path: str, query: dict[str, str] | None = None) -> tuple[int, Any]:
    """(HTTP status, decoded body) of GET `path`; 4xx answers are returned, not raised, for the caller to judge."""
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    if not url.startswith(("https://", "http://127.0.0.1:")):  # tests serve recorded answers on loopback
        raise GitHubApiError(f"refusing a non-https API URL: {url}")
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = os.environ.get("GITHUB_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status), json.load(response)
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            body = exc.read()
            return exc.code, json.loads(body) if body.strip().startswith(b"{") else {}
        raise GitHubApiError(f"GET {url}: {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise GitHubApiError(f"GET {url}: {exc}") from exc
