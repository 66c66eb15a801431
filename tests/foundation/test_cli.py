import os
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


def test_make_run_seeds_the_demo_only_into_an_empty_store(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    medsec = str(ROOT / ".venv" / "bin" / "medsec")
    upgrade = subprocess.run([medsec, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    first = subprocess.run(
        [medsec, "seed", "demo", "--if-empty"], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert "Maria Lopez" in first.stdout
    again = subprocess.run(
        [medsec, "seed", "demo", "--if-empty"], env=env, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert "seeding skipped" in again.stdout
