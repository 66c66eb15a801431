"""data/nlu/lookups.yml is generated from the clinic file and must stay in step with it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from clinic.config import PROJECT_ROOT
from medsec.cli import app
from medsec.nlu_lookups import ClinicFileError, build_lookups, render_lookups_yaml

DEMO_CLINIC = PROJECT_ROOT / "clinic" / "demo_clinic.yml"
COMMITTED = PROJECT_ROOT / "data" / "nlu" / "lookups.yml"
runner = CliRunner()


def _synonym_map(text: str) -> dict[str, str]:
    data = yaml.safe_load(text)["nlu"]
    return {
        line.removeprefix("- ").strip(): block["synonym"]
        for block in data
        if "synonym" in block
        for line in block["examples"].splitlines()
        if line.strip()
    }


def _tables(text: str) -> dict[str, list[str]]:
    data = yaml.safe_load(text)["nlu"]
    return {
        block["lookup"]: [
            line.removeprefix("- ").strip() for line in block["examples"].splitlines()
        ]
        for block in data
        if "lookup" in block
    }


def test_committed_lookups_match_the_clinic_file():
    assert COMMITTED.read_text() == render_lookups_yaml(DEMO_CLINIC), (
        "data/nlu/lookups.yml is stale: run `medsec nlu lookups` and retrain"
    )


def test_every_store_key_is_reachable_and_phrases_map_to_keys():
    clinic = yaml.safe_load(DEMO_CLINIC.read_text())
    text = render_lookups_yaml(DEMO_CLINIC)
    synonyms, tables = _synonym_map(text), _tables(text)
    for phrase, key in {
        "dr patel": "patel",
        "dr. patel": "patel",
        "doctor anika patel": "patel",
        "the dermatologist": "garcia",
        "dermatologist": "garcia",
        "skin doctor": "garcia",
        "nurse okafor": "okafor",
        "flu shot": "vaccination",
        "flu shots": "vaccination",
        "check-up": "checkup",
        "follow up": "follow_up",
        "blood work": "blood_test",
        "blue cross": "bcbs",
        "masshealth": "medicaid",
        "conference room": "conference",
        "exam room 2": "exam2",
    }.items():
        assert synonyms[phrase] == key, phrase
    for entity, section in [("provider", "providers"), ("insurer", "insurers"), ("room", "rooms")]:
        for item in clinic[section]:
            key = item["key"]
            assert key in tables[entity] or key in synonyms.values(), (entity, key)
    # longest first, so the regex extractor takes "dr patel" rather than "patel" inside it
    provider = tables["provider"]
    assert provider.index("dr patel") < provider.index("patel")


def test_a_phrase_cannot_mean_two_things():
    clinic = yaml.safe_load(DEMO_CLINIC.read_text())
    clinic["rooms"].append({"key": "derm", "name": "Derm room", "synonyms": ["the dermatologist"]})
    with pytest.raises(ClinicFileError, match="the dermatologist"):
        build_lookups(clinic)


def test_cli_writes_then_checks(tmp_path: Path):
    out = tmp_path / "lookups.yml"
    stale = runner.invoke(app, ["nlu", "lookups", "--check", "--output", str(out)])
    assert stale.exit_code == 1 and "stale" in stale.output
    wrote = runner.invoke(
        app, ["nlu", "lookups", "--clinic-file", str(DEMO_CLINIC), "--output", str(out)]
    )
    assert wrote.exit_code == 0, wrote.output
    assert out.read_text() == COMMITTED.read_text()
    current = runner.invoke(
        app, ["nlu", "lookups", "--check", "--clinic-file", str(DEMO_CLINIC), "--output", str(out)]
    )
    assert current.exit_code == 0, current.output
    out.write_text(out.read_text().replace("dr patel", "dr patell"))
    edited = runner.invoke(
        app, ["nlu", "lookups", "--check", "--clinic-file", str(DEMO_CLINIC), "--output", str(out)]
    )
    assert edited.exit_code == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("providers: [unclosed", "not valid YAML"),
        ("just a string", "does not hold"),
        ("providers: []\n", "no providers"),
    ],
)
def test_cli_reports_a_bad_clinic_file_clearly(tmp_path: Path, content, message):
    source = tmp_path / "clinic.yml"
    if content is not None:
        source.write_text(content)
    out = tmp_path / "lookups.yml"
    result = runner.invoke(
        app, ["nlu", "lookups", "--clinic-file", str(source), "--output", str(out)]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()
