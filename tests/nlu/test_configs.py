"""The benchmark measures what is served: bench/nlu_configs/shipped.yml is config.yml's pipeline."""

from __future__ import annotations

import yaml

from clinic.config import PROJECT_ROOT


def _pipeline(path):
    return yaml.safe_load((PROJECT_ROOT / path).read_text())["pipeline"]


def test_shipped_benchmark_config_is_the_served_pipeline():
    assert _pipeline("bench/nlu_configs/shipped.yml") == _pipeline("config.yml")


def test_trainable_components_have_fixed_seeds():
    for name in (
        "config.yml",
        *(f"bench/nlu_configs/{n}.yml" for n in ("logreg", "logreg_tuned", "diet")),
    ):
        for component in _pipeline(name):
            if component["name"] == "LogisticRegressionClassifier":
                assert component.get("random_state") is not None, name
            if component["name"] == "DIETClassifier":
                assert component.get("random_seed") is not None, name
