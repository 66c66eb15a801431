import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_medsec_help_lists_the_commands():
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "medsec"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for command in ("run", "config"):
        assert command in result.stdout


def test_rasa_env_has_rasa_3_6_21():
    result = subprocess.run(
        [str(ROOT / ".venv-rasa" / "bin" / "rasa"), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Rasa Version      :         3.6.21" in result.stdout
