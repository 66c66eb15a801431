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


def test_typed_menu_picks_lead_where_the_rules_lead():
    """actions/follow_up.py PICKS (what "the second one" from a menu starts) restates the
    rules in data/rules.yml for the action server, which has no data/: they must agree."""
    from pathlib import Path

    import yaml

    from actions.follow_up import PICKS

    rules = yaml.safe_load((Path(__file__).parents[2] / "data" / "rules.yml").read_text())
    first_step = {}
    for rule in rules["rules"]:
        steps = rule["steps"]
        if rule.get("condition") or len(steps) < 2 or "intent" not in steps[0]:
            continue
        if "action" in steps[1]:
            first_step.setdefault(steps[0]["intent"], steps[1]["action"])
    for intent, target in PICKS.items():
        name = target if isinstance(target, str) else target().name()
        assert first_step.get(intent) == name, intent
