"""Read Rasa NLU YAML files (intents with annotated examples, synonyms) without Rasa.

The model tests and bench/nlu_compare.py run in the app env, where Rasa is not installed, and
score the served model against tests/nlu/holdout.yml by (entity, value) pairs, so they need the
expected value of every annotation: `[the dermatologist](provider)` takes its value from the
synonyms (data/nlu/lookups.yml), `[flu jab]{"entity": "appointment_type", "value": "vaccination"}`
says it outright.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<name>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[str, str], ...] = field(default=())  # (entity, value), value mapped


def read_synonyms(*paths: Path) -> dict[str, str]:
    """Lower-cased phrase -> value, from the `synonym:` blocks of NLU files."""
    synonyms: dict[str, str] = {}
    for path in paths:
        for block in yaml.safe_load(Path(path).read_text(encoding="utf-8")).get("nlu") or []:
            if "synonym" in block:
                for phrase in _items(block["examples"]):
                    synonyms[phrase.lower()] = str(block["synonym"])
    return synonyms


def read_examples(path: Path, synonyms: dict[str, str] | None = None) -> list[Example]:
    """Every intent example of an NLU file, annotations removed from the text."""
    synonyms = synonyms or {}
    examples = []
    for block in yaml.safe_load(Path(path).read_text(encoding="utf-8")).get("nlu") or []:
        if "intent" not in block:
            continue
        for raw in _items(block["examples"]):
            entities = []
            for found in _ANNOTATION.finditer(raw):
                if found["json"]:
                    spec = json.loads(found["json"])
                    name, value = spec["entity"], spec.get("value", found["text"])
                else:
                    name, value = found["name"], found["text"]
                entities.append((name, synonyms.get(str(value).lower(), str(value))))
            text = _ANNOTATION.sub(lambda m: m["text"], raw)
            examples.append(Example(text, str(block["intent"]), tuple(entities)))
    return examples


def _items(block: str) -> list[str]:
    return [
        line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")
    ]
