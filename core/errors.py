"""The error catalogue: every code a user can see is one class here, with its HTTP status, when it happens and an
example message.

Two kinds of code. HTTP answers (RequestError, TransientError and InternalError) are the `error.code` of a 4xx/5xx
response. Job failure codes (JobError) are the `error.code` of a job that ended `failed`, read with
`GET /v1/jobs/{id}` (200). The API's OpenAPI error responses (api/errors.py `responses`) and the README's error
tables (core/error_reference.py) are generated from these classes; abstract bases carry no `when` and are not listed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar


class ImgpipeError(Exception):
    """Base error. `code` is stable and documented; `message` says what happened and what to do."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    # Catalogue entries set `when` (a phrase: "the id in the path is not a UUID") and `example`, the message a
    # typical occurrence carries; it is also the message when the error is raised without one.
    when: ClassVar[str] = ""
    example: ClassVar[str] = ""
    example_details: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None) -> None:
        message = message or self.example
        super().__init__(message)
        self.message = message
        self.details = details or {}


# --- HTTP answers -------------------------------------------------------------------------------------------------


class RequestError(ImgpipeError):
    """A client request the API refuses (4xx)."""

    code = "bad_request"
    http_status = 400


class InvalidBodyError(RequestError):
    code = "invalid_body"
    when = "the body is not JSON the API can read: not UTF-8, nested too deep, integers of thousands of digits"
    example = (
        "The request body could not be read as JSON: send UTF-8 JSON without deeply nested values or integers of "
        "thousands of digits."
    )


class InvalidJobIdError(RequestError):
    code = "invalid_job_id"
    when = "the id in the path is not a UUID"
    example = "'not-a-uuid' is not a job id (a UUID): use the `job_id` that `POST /v1/jobs` returned."


class InvalidCursorError(RequestError):
    code = "invalid_cursor"
    when = "`cursor` is not a `next_cursor` this key was given for this list (another key's, edited, or truncated)"
    example = (
        "This cursor is not one this API gave your key for this list: pass `next_cursor` from the previous page as "
        "it is, with the same `client_ref`."
    )


class AuthError(RequestError):
    code = "unauthorized"
    http_status = 401


class MissingApiKeyError(AuthError):
    code = "missing_api_key"
    when = "no `X-API-Key` header"
    example = "Send your API key in the X-API-Key header."


class InvalidApiKeyError(AuthError):
    code = "invalid_api_key"
    when = "the `X-API-Key` matches no key of this service"
    example = (
        "The X-API-Key header does not match any API key. Check the key you were given "
        "(the local stack prints its key when it starts)."
    )


class ApiKeyRevokedError(AuthError):
    code = "api_key_revoked"
    when = "the `X-API-Key` was revoked by the operator (`imgpipe keys revoke`)"
    example = "This API key was revoked at 2026-11-30T09:12:44+00:00; ask for a new one."


class NotFoundError(RequestError):
    code = "not_found"
    http_status = 404
    when = "no such route (the message points to `/docs`)"
    example = "Nothing at /v2/jobs. The API's routes are listed at /docs; the results page is at /ui."


class JobNotFoundError(NotFoundError):
    code = "job_not_found"
    when = "no job has this id"
    example = (
        "No job has id 6f1c2a4e-8d5b-4a43-9a3e-2f0f4b1f8c21. Check the id; jobs are deleted 30 days after they "
        "were created."
    )


class MethodNotAllowedError(RequestError):
    code = "method_not_allowed"
    http_status = 405
    when = "wrong method for the route (the message names the allowed ones)"
    example = "DELETE is not allowed on /v1/jobs; use POST."


class IdempotencyKeyReusedError(RequestError):
    code = "idempotency_key_reused"
    http_status = 409
    when = "the `Idempotency-Key` was used with a different body in the last 24 hours"
    example = (
        "This Idempotency-Key was already used with a different request body in the last 24 hours. Use a new key "
        "for a new request."
    )


class BodyTooLargeError(RequestError):
    code = "body_too_large"
    http_status = 413
    when = "the request body is over `api_max_body_bytes` (64 KiB by default), refused before it is read"
    example = "The request body is over 65536 bytes, the most this API reads. Requests here are small JSON documents."
    example_details = {"max_bytes": 65536}


class FileTooLargeError(RequestError):
    code = "file_too_large"
    http_status = 413
    when = "`size_bytes` is over `max_upload_bytes` (20 MiB by default)"
    example = "The file is 31457280 bytes; the limit is 20971520 bytes. Resize or compress it first."
    example_details = {"max_bytes": 20971520}


class UnsupportedContentTypeError(RequestError):
    code = "unsupported_content_type"
    http_status = 415
    when = "`content_type` is not an accepted image type (by default PNG, JPEG, HEIC/HEIF, AVIF, WebP, TIFF)"
    example = "Content type 'image/gif' is not accepted; send one of: image/jpeg, image/png."
    example_details = {"accepted": ["image/jpeg", "image/png"]}


class InvalidRequestError(RequestError):
    code = "validation_error"
    http_status = 422
    when = "malformed body or parameters (`details.errors` lists the fields)"
    example = "Invalid request: body.size_bytes: Input should be greater than 0. See /docs for the request's schema."
    example_details = {"errors": [{"location": "body.size_bytes", "message": "Input should be greater than 0"}]}


class InvalidCallbackUrlError(RequestError):
    code = "invalid_callback_url"
    http_status = 422
    when = (
        "`callback_url` is not an http(s) URL with a host (in AWS: https on port 443), carries credentials or its host "
        "does not resolve (within `webhook_connect_timeout_seconds`)"
    )
    example = "callback_url is not usable: the scheme must be https, not 'http'."


class CallbackUrlNotAllowedError(RequestError):
    code = "callback_url_not_allowed"
    http_status = 422
    when = (
        "`callback_url`'s host resolves to a loopback, private, link-local, CGNAT, multicast, reserved or "
        "instance-metadata address (webhooks go to public addresses only)"
    )
    example = (
        "callback_url is not allowed: the host 'hooks.internal' resolves to 10.0.0.7, which is private: webhooks go "
        "to public addresses only."
    )


class RateLimitedError(RequestError):
    code = "rate_limited"
    http_status = 429
    when = (
        "the API key made its `rate_per_minute` requests in this minute; retry after the `Retry-After` header's seconds"
    )
    example = "This API key may make 600 requests per minute and made them all; retry in 17 seconds."
    example_details = {"limit": 600, "retry_after_seconds": 17}


class InternalError(ImgpipeError):
    code = "internal_error"
    http_status = 500
    when = "an unexpected server error (logged with its traceback)"
    example = "Unexpected server error; retry, and report it if it persists."


class TransientError(ImgpipeError):
    """A failure that may pass (throttling, a service outage): leave the message for redelivery, do not fail the job."""

    code = "transient_error"
    http_status = 503


class DependencyUnavailableError(TransientError):
    """An AWS dependency did not answer in time or is failing: the client should retry later (HTTP 503)."""

    code = "dependency_unavailable"
    when = "an AWS service the API needs is down or too slow; retry after the `Retry-After` header's seconds"
    example = (
        "An AWS dependency did not answer within this request's deadline. Retry after the Retry-After header's seconds."
    )


class NotReadyError(TransientError):
    code = "not_ready"
    when = "`/readyz`: the job table (DynamoDB) cannot be reached"
    example = (
        "The job table cannot be reached: EndpointConnectionError. Check IMGPIPE_AWS_ENDPOINT_URL, the credentials "
        "and that the table exists; the probe tries again on its next call."
    )


# --- Job failure codes --------------------------------------------------------------------------------------------


class JobError(ImgpipeError):
    """A permanent problem with a job's input: the job ends `failed` with this code, retrying cannot help.

    `http_status` does not apply: a failed job is read with a 200 that carries the code in `error.code`."""

    code = "job_failed"


class UnsupportedFormatError(JobError):
    code = "unsupported_format"
    when = (
        "the bytes are not an accepted image (by default PNG, JPEG, HEIC/HEIF, AVIF, WebP, TIFF), whatever the name "
        "or declared type"
    )
    example = (
        "The upload is a GIF image; accepted formats are PNG, JPEG, HEIF, AVIF, WEBP, TIFF (checked from the file's "
        "bytes)."
    )


class CorruptImageError(JobError):
    code = "corrupt_image"
    when = "the file is truncated or damaged (including damaged JPEG scan data)"
    example = (
        "The file looks like JPEG but cannot be decoded (image file is truncated); it may be truncated or damaged."
    )


class ImageTooLargeError(JobError):
    """Too many bytes or too many pixels."""

    code = "image_too_large"
    when = "the file is over `max_upload_bytes`, or has more pixels than `max_image_pixels`"
    example = "The image has more than 100000000 pixels, the most this service decodes."


class EmptyUploadError(JobError):
    code = "empty_upload"
    when = "the uploaded file has 0 bytes"
    example = "The upload is empty (0 bytes)."


class UploadMissingError(JobError):
    code = "upload_missing"
    when = "the uploaded object was gone when the worker read it"
    example = "The uploaded object no longer exists."


class UploadExpiredError(JobError):
    code = "upload_expired"
    when = "the file arrived after the upload window closed; it is never processed"
    example = "The file arrived after the upload link expired, so it was not processed; create a new job."


class AnalysisInvalidImageError(JobError):
    """The analysis service refused the image itself (format, size, unreadable object): retrying cannot help."""

    code = "analysis_invalid_image"
    when = "Rekognition refused the image (format, size or unreadable object)"
    example = (
        "Rekognition DetectText refused the image (InvalidImageFormatException): Request has unsupported image format"
    )


class RenditionFailedError(JobError):
    """An output of the job's recipe could not be made: the job fails, no output of it is kept in the result."""

    code = "rendition_failed"
    when = "one of the job's outputs could not be made (e.g. its encoder refused the image); no partial result"
    example = "The output 'large.avif' (avif, 2000x1500) could not be made: encoder error."


class RetriesExhaustedError(JobError):
    """The one failure that can be retried, by redriving its message from the DLQ (`imgpipe dlq redrive`)."""

    code = "processing_retries_exhausted"
    when = "transient errors outlasted the retry budget; an operator can retry it with `imgpipe dlq redrive`"
    example = (
        "Processing failed 5 times with transient errors (EndpointConnectionError); an operator can retry it with "
        "`imgpipe dlq redrive`."
    )


def _subclasses(cls: type[ImgpipeError]) -> Iterator[type[ImgpipeError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def catalogue() -> list[type[ImgpipeError]]:
    """Every documented code: HTTP answers by status, then job failure codes; in the order above within each."""
    entries = [cls for cls in _subclasses(ImgpipeError) if "when" in vars(cls)]
    answers = sorted((e for e in entries if not issubclass(e, JobError)), key=lambda e: e.http_status)
    return answers + [e for e in entries if issubclass(e, JobError)]


def job_failure_codes() -> list[str]:
    return [e.code for e in catalogue() if issubclass(e, JobError)]
