"""Run every benchmark module in bench/ (or those named on the command line), each in its own
process (`python -m bench.<name>`), so one benchmark's state or crash cannot touch another.
Each module prints its numbers and writes bench/results/<name>.json itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = argv or sorted(p.stem for p in here.glob("*.py") if not p.stem.startswith("_"))
    failed = []
    for name in names:
        print(f"\n=== bench/{name}.py ===", flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=here.parent)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
