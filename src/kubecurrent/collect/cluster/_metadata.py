"""Metadata-only list pages, decoded into records of only the fields the scan reads.

A ``PartialObjectMetadataList`` page carries each object's whole ``metadata`` (labels,
owner references, every managedFields entry with its ``fieldsV1`` tree). API usage evidence
needs the name, the namespace, who wrote with which apiVersion, and the last-applied
annotation: msgspec decodes a page straight into these records and skips everything else
without building it, so a page costs neither the dicts nor the time of the fields unread.
Field names are the Kubernetes JSON names (ObjectMeta and ManagedFieldsEntry of
https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta/).
"""

from __future__ import annotations

from typing import Any

import msgspec

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


class _Item(msgspec.Struct, frozen=True):
    metadata: ObjectMeta | None = None


class _ListMeta(msgspec.Struct, frozen=True):
    continue_: str | None = msgspec.field(default=None, name="continue")


class MetadataPage(msgspec.Struct, frozen=True):
    """One page of a metadata-only list: its objects' metadata and the continue token."""

    items: tuple[_Item, ...] | None = None
    metadata: _ListMeta | None = None

    @property
    def objects(self) -> list[ObjectMeta]:
        return [i.metadata for i in self.items or () if i.metadata is not None]

    @property
    def continue_token(self) -> str | None:
        return self.metadata.continue_ if self.metadata else None


_PAGE = msgspec.json.Decoder(MetadataPage)


def decode_page(body: bytes) -> MetadataPage:
    """A metadata-only list page; raises ``msgspec.DecodeError`` for what is not one."""
    return _PAGE.decode(body)


def object_meta(data: dict[str, Any]) -> ObjectMeta:
    """An object's metadata given as a dict (a full object read, a test) as the record."""
    return msgspec.convert(data, ObjectMeta)
