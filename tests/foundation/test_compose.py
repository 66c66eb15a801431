"""docker-compose.yml cannot be run here (no Docker engine), so check what it declares."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_builds():
    services = load_compose()["services"]
    assert {"db", "rasa", "actions", "bot"} <= set(services)
    assert services["db"]["image"].startswith("postgres:16")
    rasa_dockerfile = ROOT / services["rasa"]["build"]["dockerfile"]
    assert "FROM rasa/rasa:3.6.21" in rasa_dockerfile.read_text()
    assert "COPY nlu" in rasa_dockerfile.read_text()
    for name in ("actions", "bot"):
        assert (ROOT / services[name]["build"]["dockerfile"]).exists()


def test_rasa_and_actions_publish_no_ports():
    services = load_compose()["services"]
    for name in ("rasa", "actions", "db"):
        assert "ports" not in services[name], f"{name} must stay on the private network"
    assert load_compose()["networks"]["private"]["internal"] is True


def test_every_long_running_service_has_health_check_and_restart_policy():
    services = load_compose()["services"]
    for name in ("db", "rasa", "actions", "bot"):
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["restart"] in ("unless-stopped", "always"), name


def test_services_are_wired_by_name():
    services = load_compose()["services"]
    assert services["rasa"]["environment"]["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    assert services["bot"]["environment"]["RASA_URL"] == "http://rasa:5005"
    for name in ("actions", "bot"):
        assert "@db:5432/" in services[name]["environment"]["DATABASE_URL"]
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["bot"]["depends_on"]["rasa"]["condition"] == "service_healthy"
    assert "TELEGRAM_BOT_TOKEN" in services["bot"]["environment"]


def test_health_check_commands_exist_in_our_code():
    services = load_compose()["services"]
    bot_check = services["bot"]["healthcheck"]["test"]
    module = bot_check[bot_check.index("-m") + 1]
    assert (ROOT / Path(*module.split("."))).with_suffix(".py").exists()
