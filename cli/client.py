"""A small HTTP client for the imgpipe API and the presigned upload, used by `imgpipe submit`, `status`, `jobs` and
`delete`,
plus the checks `submit` runs on a file before it creates a job for it."""

from __future__ import annotations

import mimetypes
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from cli.report import human_bytes
from core.config import FORMAT_CONTENT_TYPES
from core.formats import HEAD_BYTES, sniff_format
from core.recipes import Rendition
from core.views import CreateJobResponse, JobList, JobView, UploadInstructions, UploadLimits


class ApiError(Exception):
    """The API answered with an error body, or could not be reached."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def guess_content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def sniff_content_type(path: Path) -> str | None:
    """The image type the file's first bytes announce (identified as the worker will), or None when they match no
    known image signature."""
    with path.open("rb") as fh:
        fmt = sniff_format(fh.read(HEAD_BYTES))
    return FORMAT_CONTENT_TYPES.get(fmt) if fmt else None


@dataclass
class FilePlan:
    """What `submit` will send for one file, and why it refuses to, if it does."""

    path: Path
    size: int
    content_type: str
    problems: list[str] = field(default_factory=list)


def plan_file(
    path: Path, *, accepted: list[str] | None, max_bytes: int | None, content_type: str | None = None
) -> FilePlan:
    """Decide the content type to declare and check the file against the API's limits, before any upload.

    The declared type is `content_type` if given, else what the bytes announce when that is an accepted type,
    else the file name's type. Refused: what the API would refuse (size, declared type), and bytes that are not
    an accepted image, whatever the name says (the pipeline would fail the job with `unsupported_format`). With
    `accepted`/`max_bytes` None (checks off) nothing is refused.
    """
    size = path.stat().st_size
    sniffed = sniff_content_type(path)
    by_name = guess_content_type(path)
    if content_type is None:
        content_type = sniffed if sniffed and (accepted is None or sniffed in accepted) else by_name
    plan = FilePlan(path=path, size=size, content_type=content_type)
    if accepted is None or max_bytes is None:
        return plan
    if size == 0:
        plan.problems.append("the file is empty")
    elif size > max_bytes:
        plan.problems.append(
            f"file_too_large: {human_bytes(size)} ({size} bytes) is over the API's limit of {human_bytes(max_bytes)} "
            f"({max_bytes} bytes); resize or compress it"
        )
    if content_type not in accepted:
        plan.problems.append(
            f"unsupported type {content_type}: the API accepts {', '.join(accepted)}; "
            "pass --content-type to declare another type"
        )
    elif size and sniffed not in accepted:
        what = f"are {sniffed}" if sniffed else "do not start like any image format"
        plan.problems.append(
            f"its bytes {what}, not {' or '.join(accepted)} (declared as {content_type}); "
            "the pipeline would fail it with unsupported_format"
        )
    return plan


# Answers worth asking again after the pause the API gives in Retry-After: the key's rate limit, a dependency that is
# briefly unavailable. Creates carry an Idempotency-Key, so a repeated POST never makes a second job.
_RETRY_STATUSES = frozenset({429, 503})
# A request that failed after it was sent (a dropped keep-alive connection, a timeout); not a refused connection,
# which means the API is not running and is said at once.
_RETRY_ERRORS = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, httpx.TimeoutException)
_ATTEMPTS = 3
# Longer pauses are not waited for: the error is shown instead (e.g. a rate limit's window a minute away).
_MAX_PAUSE_SECONDS = 10.0


def _pause_seconds(response: httpx.Response | None, attempt: int) -> float:
    """Retry-After when the API gave one (seconds), else a short exponential pause."""
    given = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(given)) if given is not None else 0.5 * 2 ** (attempt - 1)
    except ValueError:
        return _MAX_PAUSE_SECONDS + 1  # an HTTP date: a long wait, not worth holding the command for


class ApiClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers={"X-API-Key": api_key}, timeout=timeout, transport=transport
        )
        self._sleep = sleep

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One API call, asked again (up to _ATTEMPTS) after a 429/503 or a request lost on the way; every call the
        CLI makes is safe to repeat (GET, DELETE, and POST with its Idempotency-Key)."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                pause = _pause_seconds(None, attempt)
                if isinstance(exc, _RETRY_ERRORS) and attempt < _ATTEMPTS:
                    self._sleep(pause)
                    continue
                raise ApiError(
                    "api_unreachable",
                    f"cannot reach the API at {self.base_url} ({exc or type(exc).__name__}). Is it running? "
                    "Start the local stack with `make dev`, or point --api / IMGPIPE_API_URL at your API.",
                ) from None
            pause = _pause_seconds(response, attempt)
            if response.status_code not in _RETRY_STATUSES or attempt == _ATTEMPTS or pause > _MAX_PAUSE_SECONDS:
                break
            self._sleep(pause)
        if response.is_error:
            try:
                error = response.json()["error"]
                raise ApiError(error["code"], error["message"], response.status_code)
            except (ValueError, KeyError, TypeError):
                raise ApiError(f"http_{response.status_code}", response.text[:200], response.status_code) from None
        return response.json() if response.content else {}

    def get_limits(self) -> UploadLimits:
        """What POST /v1/jobs accepts; also proves the API is reachable and the key is good."""
        return UploadLimits.model_validate(self._call("GET", "/v1/limits"))

    def create_job(
        self,
        path: Path,
        content_type: str | None = None,
        *,
        client_ref: str | None = None,
        preset: str | None = None,
        outputs: Sequence[Rendition] | None = None,
    ) -> CreateJobResponse:
        body: dict[str, Any] = {
            "filename": path.name,
            "content_type": content_type or guess_content_type(path),
            "size_bytes": path.stat().st_size,
        }
        if client_ref is not None:
            body["client_ref"] = client_ref
        if preset is not None:
            body["preset"] = preset
        if outputs:
            body["outputs"] = [o.model_dump(mode="json", exclude_defaults=True) for o in outputs]
        # One key for this create, whatever happens to the request: a retry returns the job the first one made.
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return CreateJobResponse.model_validate(self._call("POST", "/v1/jobs", json=body, headers=headers))

    def get_job(self, job_id: str) -> JobView:
        return JobView.model_validate(self._call("GET", f"/v1/jobs/{job_id}"))

    def list_jobs(
        self, *, limit: int, status: str | None = None, client_ref: str | None = None, cursor: str | None = None
    ) -> JobList:
        """One page of the key's jobs, newest first (GET /v1/jobs)."""
        params = {"limit": limit, "status": status, "client_ref": client_ref, "cursor": cursor}
        return JobList.model_validate(
            self._call("GET", "/v1/jobs", params={k: v for k, v in params.items() if v is not None})
        )

    def delete_job(self, job_id: str) -> None:
        self._call("DELETE", f"/v1/jobs/{job_id}")


class _ProgressReader:
    """A binary file that reports how far it has been read: httpx streams the multipart body from it."""

    def __init__(self, fh: IO[bytes], on_progress: Callable[[int], None]) -> None:
        self._fh = fh
        self._on_progress = on_progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._fh.read(size)
        self._on_progress(self._fh.tell())
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def fileno(self) -> int:
        return self._fh.fileno()


def upload(
    upload: UploadInstructions,
    path: Path,
    content_type: str,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """POST the file to S3 with the presigned form fields (the file must be the last field).

    `on_progress(bytes_sent)` is called as the file is streamed.
    """
    with path.open("rb") as fh:
        body: Any = _ProgressReader(fh, on_progress) if on_progress else fh
        try:
            response = httpx.post(
                upload.url,
                data=upload.fields,
                files={"file": (path.name, body, content_type)},
                timeout=300,
            )
        except httpx.TransportError as exc:
            raise ApiError("upload_unreachable", f"cannot reach the upload endpoint {upload.url}: {exc}") from None
    if response.status_code >= 300:
        raise ApiError("upload_rejected", f"storage refused the upload: {response.text[:300]}", response.status_code)
