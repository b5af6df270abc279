"""A small HTTP client for the imgpipe API and the presigned upload, used by `imgpipe submit` and `status`."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

TERMINAL_STATUSES = {"completed", "failed", "expired"}


class ApiError(Exception):
    """The API answered with an error body, or could not be reached."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def guess_content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class ApiClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers={"X-API-Key": api_key}, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError("api_unreachable", f"cannot reach the API at {self._http.base_url}: {exc}") from None
        if response.is_error:
            try:
                error = response.json()["error"]
                raise ApiError(error["code"], error["message"], response.status_code)
            except (ValueError, KeyError, TypeError):
                raise ApiError(f"http_{response.status_code}", response.text[:200], response.status_code) from None
        return response.json()  # type: ignore[no-any-return]

    def create_job(self, path: Path, content_type: str | None = None) -> dict[str, Any]:
        body = {
            "filename": path.name,
            "content_type": content_type or guess_content_type(path),
            "size_bytes": path.stat().st_size,
        }
        return self._call("POST", "/v1/jobs", json=body)

    def get_job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/jobs/{job_id}")

    def wait(
        self,
        job_id: str,
        *,
        timeout: float,
        on_status: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll until the job ends (or `timeout` passes); calls `on_status` whenever the status changes."""
        deadline = time.monotonic() + timeout
        delay, last = 0.1, None
        while True:
            job = self.get_job(job_id)
            if job["status"] != last and on_status is not None:
                on_status(job)
            last = job["status"]
            if last in TERMINAL_STATUSES or time.monotonic() > deadline:
                return job
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)


def upload(upload: dict[str, Any], path: Path, content_type: str) -> None:
    """POST the file to S3 with the presigned form fields (the file must be the last field)."""
    with path.open("rb") as fh:
        try:
            response = httpx.post(
                upload["url"],
                data=upload["fields"],
                files={"file": (path.name, fh, content_type)},
                timeout=300,
            )
        except httpx.TransportError as exc:
            raise ApiError("upload_unreachable", f"cannot reach the upload endpoint {upload['url']}: {exc}") from None
    if response.status_code >= 300:
        raise ApiError("upload_rejected", f"storage refused the upload: {response.text[:300]}", response.status_code)
