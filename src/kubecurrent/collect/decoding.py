"""Decoding Kubernetes objects from several threads without crashing the process.

lightkube decodes API responses with msgspec, and msgspec builds a model's type information
the first time it decodes that model. Two threads doing that at the same moment for the same
model can crash the whole process with SIGSEGV: one thread sees the information the other has
only half built. A rollout upgrades the clusters of a wave in threads, and the dashboard
serves pages from a thread pool, so both hit it. ``prepare_decoders`` builds the information
for every model loaded so far, once, under a lock; call it wherever a client (or a generic
resource) is made, before anything is decoded with it. It is cheap after the first call
(only models loaded since are prepared).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import msgspec
from lightkube.core import decoders
from lightkube.generic_resource import Generic

__all__ = ["prepare_decoders"]

_lock = threading.Lock()
_prepared: set[type] = set()


def _subclasses(base: type) -> Iterator[type]:
    seen: set[type] = set()
    todo: list[type] = list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            todo.extend(cls.__subclasses__())
            yield cls


def _list_model(resource: type) -> Any:
    """The list model lightkube decodes ``resource`` lists with (made once, then cached)."""
    model, _mapper = decoders._get_list_model(resource)  # private, but it is the one it uses
    return model


def prepare_decoders() -> None:
    """Build msgspec's type information for every loaded model (and resource list) now."""
    with _lock:
        for cls in [*_subclasses(msgspec.Struct), *_subclasses(Generic)]:
            if cls in _prepared:
                continue
            if issubclass(cls, msgspec.Struct):
                # a record no decoder can read (an untagged union of structs, such as a file
                # scan's ``Rendered``) is never decoded: nothing to race on
                with contextlib.suppress(TypeError):
                    msgspec.json.Decoder(cls)
            if hasattr(cls, "_api_info"):  # a resource: lists of it have their own model
                model = _list_model(cls)
                msgspec.json.Decoder(model)
                _prepared.add(model)
            _prepared.add(cls)
