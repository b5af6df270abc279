"""Path parameters shared by the job routes, each exported as an Annotated alias like the dependencies in deps.py."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import Depends, Path

from core.errors import InvalidJobIdError

# The canonical text form only (8-4-4-4-12 hex digits), as the document's `format: uuid` says: uuid.UUID would also
# take braces, a `urn:uuid:` prefix or no hyphens, which the document does not allow.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


async def job_id_path(
    job_id: Annotated[
        str,
        Path(
            description="The id returned when the job was created.",
            examples=[str(uuid.UUID(int=1))],
            json_schema_extra={"format": "uuid"},
        ),
    ],
) -> str:
    """The job id of the path in canonical (lower case) form; `400 invalid_job_id` when it is not a UUID."""
    if not _UUID.fullmatch(job_id):
        raise InvalidJobIdError(f"{job_id!r} is not a job id (a UUID): use the `job_id` that `POST /v1/jobs` returned.")
    return job_id.lower()


JobIdDep = Annotated[str, Depends(job_id_path)]
