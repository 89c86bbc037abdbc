"""Field types and base classes shared by every catalog model."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def _check_urls(urls: tuple[str, ...]) -> tuple[str, ...]:
    if not urls:
        raise ValueError("source must list at least one URL where the fact can be checked")
    for url in urls:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"source {url!r} is not an http(s) URL")
    return urls


Sources = Annotated[tuple[str, ...], AfterValidator(_check_urls)]
"""A non-empty list of http(s) URLs that back an entry."""

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
"""A lowercase identifier such as an add-on or component name."""


class Frozen(BaseModel):
    """Base of every catalog model: immutable, and unknown keys are errors (typos show up)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Sourced(Frozen):
    """An entry that records where its facts come from, and which of them are unverified."""

    source: Sources
    unverified: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _unverified_needs_note(self) -> Sourced:
        if self.unverified and not self.note:
            raise ValueError(
                "unverified: true needs a note: saying which fact could not be sourced"
            )
        return self
