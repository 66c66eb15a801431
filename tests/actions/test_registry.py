"""The action server serves exactly the custom actions the domain names (no more, no less)."""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from tests.actions.helpers import domain


def test_every_domain_action_is_served_and_nothing_else():
    executor = ActionExecutor()
    executor.register_package("actions")
    served = set(executor.actions)
    wanted = set(domain()["actions"])
    assert served == wanted, {"missing": wanted - served, "extra": served - wanted}
