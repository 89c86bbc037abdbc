"""Logging of the long-running commands (``serve``, ``controller``): one setup for both."""

from __future__ import annotations

import logging

__all__ = ["log_for_service"]

CHATTY = ("httpx", "httpx2", "azure")
"""Client libraries that log every request at INFO (the Azure SDK with its headers): thousands
of lines per rollout that would hide the command's own; their warnings and errors still show."""


def log_for_service(fmt: str) -> None:
    """INFO and above to standard error in ``fmt``, the chatty client libraries at WARNING."""
    logging.basicConfig(level=logging.INFO, format=fmt)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
