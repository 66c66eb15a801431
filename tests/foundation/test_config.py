"""A bad configuration value stops start-up with one clear line naming the variable."""

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from clinic.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in (
        "DATABASE_URL",
        "MEDSEC_TIMEZONE",
        "MEDSEC_NOW",
        "ACTIONS_PORT",
        "TELEGRAM_STAFF_CHAT_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MEDSEC_TIMEZONE", "Mars/Olympus_Mons", "not an IANA time zone"),
        ("MEDSEC_TIMEZONE", "EST5EDT/../../etc", "not an IANA time zone"),
        ("DATABASE_URL", "not a url", "not a database URL"),
        ("DATABASE_URL", "mysql://root@localhost/clinic", "not supported"),
        ("MEDSEC_NOW", "next tuesday", "not an ISO 8601 date-time"),
        ("MEDSEC_NOW", "2027-13-45T25:00", "not an ISO 8601 date-time"),
        ("ACTIONS_PORT", "70000", "less than or equal to 65535"),
        ("TELEGRAM_STAFF_CHAT_ID", "staff", "valid integer"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert expected in message
    assert "\n" not in message


def test_defaults_work_without_any_environment():
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("var/medsec.db")
    assert settings.timezone == "America/New_York"
    assert settings.frozen_now is None


def test_medsec_now_is_read_in_the_clinic_zone_when_naive(monkeypatch):
    monkeypatch.setenv("MEDSEC_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("MEDSEC_NOW", "2027-03-01T09:00")
    frozen = load_settings().frozen_now
    assert frozen == datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("MEDSEC_TIMEZONE=Asia/Tokyo\nEMERGENCY_NUMBER=119\n")
    settings = load_settings()
    assert settings.timezone == "Asia/Tokyo"
    assert settings.emergency_number == "119"


def test_cli_prints_one_line_and_exits_2(monkeypatch):
    monkeypatch.setenv("MEDSEC_TIMEZONE", "Nowhere/Land")
    result = subprocess.run(
        [sys.executable, "-m", "medsec.cli", "config", "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "MEDSEC_TIMEZONE" in lines[0] and "Nowhere/Land" in lines[0]


def test_date_order_is_the_nlu_time_extractors_so_actions_and_bot_read_dates_alike(
    monkeypatch, tmp_path, frozen_now
):
    from clinic import config

    frozen_now()  # Monday 2027-03-01
    config.date_order.cache_clear()
    assert config.date_order() == "MDY"  # the shipped config.yml
    shipped = (config.PROJECT_ROOT / "config.yml").read_text()
    (tmp_path / "config.yml").write_text(shipped.replace("date_order: MDY", "date_order: DMY"))
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    config.date_order.cache_clear()
    try:
        assert config.date_order() == "DMY"
        from actions.when import past_values
        from bot.dates import parse_date_of_birth

        assert past_values("my bill from 3/2")[0] == "2027-02-03"  # 3 February, said in March
        assert parse_date_of_birth("25/12/1950", date(2027, 3, 1)).value == date(1950, 12, 25)
    finally:
        config.date_order.cache_clear()
