"""``Step.trusted`` (the planner's unvalidated constructor) makes exactly the step ``Step(...)``
makes from the same values: equal, same hash, same dump, same fields set, still frozen."""

from __future__ import annotations

import pydantic
import pytest

from kubecurrent.model.plan import Step

VALUES = [
    (1, "addon", "cert-manager", "1.12.3", "1.14.7", "why", "without", 0, None),
    (7, "node-pool", "general", "1.27.9", "1.28.15", "roll", "skew", 2, "eks"),
    (3, "remove", "kube-x", "0.1", None, "gone", "outside", 1, None),
]


@pytest.mark.parametrize("values", VALUES)
def test_a_trusted_step_is_the_validated_step(values: tuple[object, ...]) -> None:
    order, type_, target, from_, to, why, without, hop, managed_by = values
    validated = Step(
        order=order, type=type_, target=target, from_=from_, to=to, why=why,
        without=without, hop=hop, managed_by=managed_by,
    )  # fmt: skip
    trusted = Step.trusted(*values)  # type: ignore[arg-type]
    assert trusted == validated and hash(trusted) == hash(validated)
    assert trusted.model_dump(mode="json", by_alias=True) == validated.model_dump(
        mode="json", by_alias=True
    )
    assert trusted.model_fields_set == validated.model_fields_set
    assert trusted.key() == validated.key()
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        trusted.hop = 5


def test_a_trusted_step_copies_with_updates_like_a_validated_one() -> None:
    trusted = Step.trusted(*VALUES[0])  # type: ignore[arg-type]
    moved = trusted.model_copy(update={"to": "1.15.0"})
    assert moved.to == "1.15.0" and trusted.to == "1.14.7"
    assert moved.model_fields_set == trusted.model_fields_set
