"""Session fixtures: one real local stack (moto server, API over HTTP, a worker process) for the e2e tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from cli.stack import LocalStack, start_local_stack
from core.api_keys import LOCAL_DEV_API_KEY
from core.aws import AwsClients
from core.config import Settings
from core.store import JobStore
from harness.jobs import api_client
from harness.queues import SnsInbox
from harness.text_images import FONTS_HINT, regular_fonts
from tests.support import UNLIMITED_RATE

# Every stack of the session seeds its dev key with this rate (and every Settings() here reads it): no test meets the
# per-key limit because the tests before it were fast. tests/api/test_rate_limits.py makes keys with small rates.
os.environ.setdefault("IMGPIPE_DEFAULT_RATE_PER_MINUTE", str(UNLIMITED_RATE))


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    # Analysis off: OCR on every job made tests/e2e ~65% slower on 2 cores. Text extraction is tested on stacks of
    # its own (tests/e2e/test_text_analysis.py, tests/e2e/test_rekognition_pipeline.py).
    with start_local_stack(Settings(analysis_engine="off")) as stack:
        yield stack


@pytest.fixture(scope="session")
def clients(stack: LocalStack) -> AwsClients:
    return AwsClients(stack.settings)


@pytest.fixture(scope="session")
def api_key(stack: LocalStack) -> str:
    return LOCAL_DEV_API_KEY


@pytest.fixture
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    with api_client(stack) as client:
        yield client


@pytest.fixture
def store(stack: LocalStack, clients: AwsClients) -> JobStore:
    """The jobs table of the shared stack, through the store the API and worker use."""
    return JobStore(clients.dynamodb, stack.settings.jobs_table)


@pytest.fixture(scope="session")
def sns_inbox(stack: LocalStack, clients: AwsClients) -> SnsInbox:
    return SnsInbox(clients.sqs, clients.sns, stack.provisioned.topic_arn)


@pytest.fixture(scope="session")
def ocr_stack() -> Iterator[LocalStack]:
    """A stack of its own with the local OCR engine (the shared one runs with analysis off, for speed)."""
    pytest.importorskip("rapidocr", reason="the local OCR engine needs the `ocr` extra: pip install -e '.[ocr]'")
    if not regular_fonts():
        pytest.skip(f"no fonts to draw text with: {FONTS_HINT}")
    with start_local_stack(Settings(analysis_engine="local")) as stack:
        yield stack
