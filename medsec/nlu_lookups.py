"""Generate the NLU lookup tables and synonyms (data/nlu/lookups.yml) from the clinic file.

What the assistant recognises as a provider, appointment type, insurer or room comes from the
same YAML file the store is loaded from, so the two cannot drift apart:

    medsec nlu lookups            write data/nlu/lookups.yml
    medsec nlu lookups --check    exit 1 if the committed file is stale (CI, tests)

Each entity gets a lookup table (every phrase that names something, longest first so Rasa's
RegexEntityExtractor prefers "dr patel" over "patel") and synonyms mapping each phrase to the
store key ("the dermatologist" -> garcia).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import typer
import yaml

from clinic.config import PROJECT_ROOT

DEFAULT_OUTPUT = PROJECT_ROOT / "data" / "nlu" / "lookups.yml"
ENTITY_SECTIONS = {  # entity name -> section of the clinic file
    "provider": "providers",
    "appointment_type": "appointment_types",
    "insurer": "insurers",
    "room": "rooms",
}

nlu_app = typer.Typer(
    help="NLU training data generated from the clinic file.", no_args_is_help=True
)


class ClinicFileError(ValueError):
    """The clinic file is missing, unreadable or lacks what the lookups need."""


@dataclass(frozen=True)
class Lookups:
    tables: dict[str, list[str]]  # entity -> phrases, longest first
    synonyms: dict[str, list[str]]  # key -> phrases that mean it (the key itself excluded)


def _clean(phrase: object) -> str:
    text = re.sub(r"\(.*?\)", " ", str(phrase)).lower()
    return re.sub(r"\s+", " ", text).strip(" ,")


def _plural(phrase: str) -> str | None:
    """ "flu shot" -> "flu shots"; only for short phrases with a regular plural."""
    if len(phrase.split()) > 2 or re.search(r"(s|x|y|ch|sh|\d)$", phrase):
        return None
    return phrase + "s"


def _provider_phrases(item: dict, specialty_counts: dict[str, int]) -> Iterable[str]:
    name = _clean(item.get("name", ""))
    last = name.split()[-1] if name else ""
    title = _clean(item.get("title", "")).rstrip(".")
    if last:
        yield name
        yield last
        if title in ("dr", "doctor"):
            for prefix in ("dr", "dr.", "doctor"):
                yield f"{prefix} {last}"
                yield f"{prefix} {name}"
        elif title:
            yield f"{title} {last}"
            yield f"{title} {name}"
    specialty = _clean(item.get("specialty", ""))
    if specialty and specialty_counts[specialty] == 1:  # "dermatology" names one provider only
        yield specialty


def _type_phrases(item: dict) -> Iterable[str]:
    yield _clean(item.get("name", ""))
    yield item["key"].replace("_", " ")
    for phrase in [_clean(item.get("name", "")), *map(_clean, item.get("synonyms") or [])]:
        plural = _plural(phrase)
        if plural:
            yield plural


def _entity_phrases(entity: str, item: dict, specialty_counts: dict[str, int]) -> list[str]:
    phrases = [_clean(s) for s in item.get("synonyms") or []]
    if entity == "provider":
        phrases.extend(_provider_phrases(item, specialty_counts))
    elif entity == "appointment_type":
        phrases.extend(_type_phrases(item))
    else:
        phrases.append(_clean(item.get("name", "")))
    # "the dermatologist" is also "dermatologist"
    phrases.extend(p.removeprefix("the ") for p in list(phrases) if p.startswith("the "))
    return [p for p in dict.fromkeys(phrases) if p]


def build_lookups(clinic: dict) -> Lookups:
    """Lookup tables and synonyms for every entity the clinic file defines."""
    specialty_counts: dict[str, int] = {}
    for provider in clinic.get("providers") or []:
        specialty = _clean(provider.get("specialty", ""))
        specialty_counts[specialty] = specialty_counts.get(specialty, 0) + 1

    phrases_of: dict[tuple[str, str], list[str]] = {}  # (entity, key) -> phrases
    for entity, section in ENTITY_SECTIONS.items():
        items = clinic.get(section) or []
        if not items:
            raise ClinicFileError(f"the clinic file has no {section}")
        for item in items:
            if not isinstance(item, dict) or not item.get("key"):
                raise ClinicFileError(f"every entry under {section} needs a key: {item!r}")
            phrases_of[(entity, str(item["key"]))] = _entity_phrases(entity, item, specialty_counts)
    # A key is a phrase too ("garcia", "exam1"), unless people would not type it ("follow_up")
    # or it names something else ("procedure" is a type; the room is "the procedure room").
    said = {(entity, p) for (entity, _), phrases in phrases_of.items() for p in phrases}
    for entity, key in phrases_of:
        taken = any(p == key.lower() and e != entity for e, p in said)
        if "_" not in key and not taken:
            phrases_of[(entity, key)].append(key.lower())

    tables: dict[str, list[str]] = {entity: [] for entity in ENTITY_SECTIONS}
    synonyms: dict[str, list[str]] = {}
    meaning: dict[str, tuple[str, str]] = {}  # phrase -> (entity, key): one phrase, one meaning
    for (entity, key), phrases in phrases_of.items():
        table = tables[entity]
        for phrase in dict.fromkeys(phrases):
            known = meaning.get(phrase)
            if known and known[1] != key:
                # synonyms are global in Rasa, so a phrase may stand for one key only
                raise ClinicFileError(
                    f"'{phrase}' would mean both {known[0]} '{known[1]}' "
                    f"and {entity} '{key}'; rename one"
                )
            meaning[phrase] = (entity, key)
            table.append(phrase)
            if phrase != key:
                synonyms.setdefault(key, [])
                if phrase not in synonyms[key]:
                    synonyms[key].append(phrase)
    tables = {e: sorted(set(t), key=lambda p: (-len(p), p)) for e, t in tables.items()}
    return Lookups(tables, {k: sorted(v) for k, v in sorted(synonyms.items())})


def read_clinic_file(path: Path) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClinicFileError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ClinicFileError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ClinicFileError(f"{path} does not hold a clinic definition")
    return data


def _source_name(path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def render_lookups_yaml(clinic_file: Path) -> str:
    """The text of data/nlu/lookups.yml for this clinic file."""
    lookups = build_lookups(read_clinic_file(clinic_file))
    lines = [
        f"# Generated by `medsec nlu lookups` from {_source_name(clinic_file)}; do not edit.",
        "# Change the clinic file and run the command again (a test checks this file is current).",
        'version: "3.1"',
        "nlu:",
    ]
    for entity, phrases in lookups.tables.items():
        lines += [f"  - lookup: {entity}", "    examples: |"]
        lines += [f"      - {phrase}" for phrase in phrases]
    for key, phrases in lookups.synonyms.items():
        lines += [f"  - synonym: {key}", "    examples: |"]
        lines += [f"      - {phrase}" for phrase in phrases]
    return "\n".join(lines) + "\n"


def _default_clinic_file() -> Path:
    from clinic.config import get_settings

    return get_settings().clinic_file


@nlu_app.command("lookups")
def lookups_command(
    check: bool = typer.Option(False, "--check", help="Only check the file is current."),
    clinic_file: Path = typer.Option(
        None, help="Clinic YAML file (default: MEDSEC_CLINIC_FILE, else clinic/demo_clinic.yml)."
    ),
    output: Path = typer.Option(DEFAULT_OUTPUT, help="Where the lookups go."),
) -> None:
    """Write (or --check) data/nlu/lookups.yml from the clinic file."""
    source = clinic_file or _default_clinic_file()
    try:
        text = render_lookups_yaml(source)
    except ClinicFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    current = output.read_text(encoding="utf-8") if output.exists() else None
    if check:
        if current != text:
            typer.echo(f"{output} is stale: run `medsec nlu lookups` and retrain", err=True)
            raise typer.Exit(code=1)
        typer.echo(f"{output} is current")
        return
    if current == text:
        typer.echo(f"{output} already current")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output} from {_source_name(source)}; retrain the model (make train)")
