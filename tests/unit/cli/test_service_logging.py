"""The long-running commands quiet the client libraries that log every request."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from kubecurrent.cli._logging import CHATTY, log_for_service


@pytest.fixture
def levels() -> Iterator[dict[str, int]]:
    saved = {name: logging.getLogger(name).level for name in CHATTY}
    yield saved
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_every_chatty_library_logs_warnings_only(levels: dict[str, int]) -> None:
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET)
    log_for_service("%(message)s")
    for name in ("httpx2", "azure", "azure.core.pipeline.policies.http_logging_policy"):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO), name
        assert logger.isEnabledFor(logging.WARNING), name
