"""The local stack as a context manager: every process it started is stopped when its block ends, however it ends."""

from __future__ import annotations

import pytest

from cli.stack import start_local_stack
from core.config import Settings


class Interrupted(Exception):
    pass


def test_every_process_is_stopped_when_the_block_ends_on_an_error() -> None:
    with pytest.raises(Interrupted), start_local_stack(Settings(analysis_engine="off"), workers=1) as stack:
        services = [stack.moto, stack.api, *stack.workers]
        assert len(services) == 3 and all(s is not None and s.alive() for s in services)
        raise Interrupted
    assert not any(s.alive() for s in services if s is not None)
