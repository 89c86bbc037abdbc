"""List pages decoded into records of only the fields the scan reads.

A list page carries each object whole: a ``PartialObjectMetadataList`` page every
managedFields entry with its ``fieldsV1`` tree, a Deployment page every pod template.
msgspec decodes a page straight into ``Page[record]`` and skips every other field without
building it, so a page costs neither the dicts nor the time of the fields unread.
Field names are the Kubernetes JSON names (ObjectMeta, ManagedFieldsEntry and ListMeta of
https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta/ and
https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/list-meta/).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class ManagedFieldsEntry(msgspec.Struct, frozen=True):
    """One manager's write: the apiVersion it wrote with, when, and how."""

    apiVersion: str = ""
    manager: str = ""
    operation: str | None = None
    time: str | None = None


class Annotations(msgspec.Struct, frozen=True):
    """The one annotation the scan reads."""

    last_applied: str | None = msgspec.field(default=None, name=LAST_APPLIED)


class ObjectMeta(msgspec.Struct, frozen=True):
    """The fields of an object's metadata that API usage evidence reads."""

    name: str = ""
    namespace: str = ""
    managedFields: tuple[ManagedFieldsEntry, ...] = ()
    annotations: Annotations | None = None


class MetadataItem(msgspec.Struct, frozen=True):
    """One object of a metadata-only list."""

    metadata: ObjectMeta = ObjectMeta()


class ListMeta(msgspec.Struct, frozen=True):
    continue_: str | None = msgspec.field(default=None, name="continue")
    remainingItemCount: int | None = None


class Page(msgspec.Struct, Generic[T], frozen=True):
    """One page of a list: its objects as records, and the token of the next page."""

    items: tuple[T, ...] | None = None
    metadata: ListMeta = ListMeta()


METADATA_PAGE = msgspec.json.Decoder(Page[MetadataItem])


def object_meta(data: dict[str, Any]) -> ObjectMeta:
    """An object's metadata given as a dict (a full object read, a test) as the record."""
    return msgspec.convert(data, ObjectMeta)
