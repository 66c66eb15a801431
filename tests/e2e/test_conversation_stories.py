"""`rasa test core` on the conversation tests in tests/rasa/: every intent, every form's happy
path, digressions, leaving a form midway and refusals. Fails on any wrongly predicted action."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.servers import MODEL, RASA_BIN, ROOT

pytestmark = [pytest.mark.rasa]


def test_every_conversation_story_passes(tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.fail("no trained model: run scripts/train.sh (make train)")
    result = subprocess.run(
        [
            str(RASA_BIN),
            "test",
            "core",
            "--stories",
            str(ROOT / "tests" / "rasa"),
            "--model",
            str(MODEL),
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = result.stdout + result.stderr
    failed = tmp_path / "failed_test_stories.yml"
    failures = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, f"rasa test core failed:\n{failures or log[-4000:]}"
    counts = re.findall(r"Correct:\s+(\d+) / (\d+)", log)
    assert counts, log[-2000:]
    correct, total = map(int, counts[0])
    assert total >= 50 and correct == total, f"{correct}/{total} stories:\n{failures}"
    assert "None of the test stories failed" in failures or not failures.strip()


def test_rasa_data_validate_is_clean() -> None:
    """Domain, rules, NLU data and conversation tests agree: no errors, no warnings."""
    result = subprocess.run(
        [str(RASA_BIN), "data", "validate", "--fail-on-warnings"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = result.stdout + result.stderr
    problems = [
        line
        for line in log.splitlines()
        if ("UserWarning" in line or " WARNING " in line or " ERROR " in line)
        and "Deprecat" not in line
    ]
    assert result.returncode == 0 and not problems, "\n".join(problems) or log[-3000:]
