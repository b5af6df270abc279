"""One error hierarchy for API and worker: every failure a user sees carries a stable machine-readable code."""

from __future__ import annotations

from typing import Any


class ImgpipeError(Exception):
    """Base error. `code` is stable and documented; `message` says what happened and what to do."""

    code = "internal_error"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class RequestError(ImgpipeError):
    """A client request the API refuses (4xx)."""

    code = "bad_request"
    http_status = 400


class NotFoundError(RequestError):
    code = "not_found"
    http_status = 404


class UnsupportedContentTypeError(RequestError):
    code = "unsupported_content_type"
    http_status = 415


class FileTooLargeError(RequestError):
    code = "file_too_large"
    http_status = 413


class AuthError(RequestError):
    code = "unauthorized"
    http_status = 401


class JobError(ImgpipeError):
    """A permanent problem with a job's input: the job ends `failed` with this code, retrying cannot help."""

    code = "job_failed"


class UnsupportedFormatError(JobError):
    code = "unsupported_format"


class CorruptImageError(JobError):
    code = "corrupt_image"


class ImageTooLargeError(JobError):
    """Too many bytes or too many pixels."""

    code = "image_too_large"


class UploadMissingError(JobError):
    code = "upload_missing"


class EmptyUploadError(JobError):
    code = "empty_upload"


class TransientError(ImgpipeError):
    """A failure that may pass (throttling, a service outage): leave the message for redelivery, do not fail the job."""

    code = "transient_error"
    http_status = 503


class AnalysisInvalidImageError(JobError):
    """The analysis service refused the image itself (format, size, unreadable object): retrying cannot help."""

    code = "analysis_invalid_image"
