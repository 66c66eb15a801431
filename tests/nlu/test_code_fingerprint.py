"""Rasa's training cache must not outlive a change to our NLU code: each of our components
adds a fingerprint of nlu/ to Rasa's, so `rasa train` recomputes what the changed code makes
(the features, the time entities) instead of reusing what the old code made."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nlu import code_fingerprint as fingerprint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def nlu_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "nlu"
    shutil.copytree(ROOT / "nlu", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "NLU_DIR", copy)
    fingerprint.code_fingerprint.cache_clear()
    yield copy
    fingerprint.code_fingerprint.cache_clear()


def test_a_change_to_the_nlu_code_changes_the_fingerprint(nlu_copy: Path) -> None:
    before = fingerprint.code_fingerprint()
    fingerprint.code_fingerprint.cache_clear()
    assert fingerprint.code_fingerprint() == before, "same code, same fingerprint"
    minilm = nlu_copy / "minilm.py"
    minilm.write_text(minilm.read_text().replace("reduce_range=True", "reduce_range=False"))
    fingerprint.code_fingerprint.cache_clear()
    assert fingerprint.code_fingerprint() != before


def test_every_component_we_register_with_rasa_adds_the_fingerprint() -> None:
    registered = {}
    for path in (ROOT / "nlu").glob("*.py"):
        source = path.read_text()
        for match in re.finditer(
            r"@DefaultV1Recipe\.register\([^@]*?\)\nclass (\w+)\(([^)]*)\)", source
        ):
            registered[match.group(1)] = match.group(2)
    assert {"SentenceEmbeddingFeaturizer", "TimeExtractor", "BlankSafeWhitespaceTokenizer"} <= set(
        registered
    )
    # the policy that installs the speedups makes nothing Rasa caches
    missing = [n for n, bases in registered.items() if "FingerprintsOurCode" not in bases]
    assert missing == ["RasaSpeedups"]
