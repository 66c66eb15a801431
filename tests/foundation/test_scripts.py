"""The set-up and training wrappers: clear errors, and skipping work whose inputs did not change."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_setup_names_the_missing_pythons(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    bare_path = tmp_path / "bin"
    bare_path.mkdir()
    for tool in ("bash", "dirname", "ls", "sort", "tail", "cat", "sha256sum", "cut", "env"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bare_path / tool)
    result = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "setup.sh")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(bare_path), "HOME": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "missing: Python 3.12" in result.stderr
    assert "missing: Python 3.10" in result.stderr
    assert "pyenv install" in result.stderr


def test_second_setup_skips_both_environments():
    result = subprocess.run(
        ["bash", "scripts/setup.sh"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert "app env: up to date" in result.stdout
    assert "rasa env: up to date" in result.stdout


def test_training_is_skipped_when_inputs_are_unchanged():
    result = subprocess.run(
        ["bash", "scripts/train.sh"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert "model up to date" in result.stdout
    assert (ROOT / "models" / "medsec.tar.gz").exists()
