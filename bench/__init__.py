"""Benchmarks (not timed tests). Each `bench/<name>.py` runs as `python -m bench.<name>`,
prints its numbers and writes `bench/results/<name>.json` (`run(name, main)` below does the
writing for a `main() -> dict`). `python -m bench` (`make bench`) runs them all, each in its
own process; `python -m bench clinic_slots` runs one.

Benchmarks that need PostgreSQL read BENCH_DATABASE_URL (else TEST_DATABASE_URL) and report
themselves skipped when neither is set.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def postgres_url() -> str | None:
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


def timings_ms(
    action: Callable[[], object], repeat: int, warmup: int = 2, cpu: list[float] | None = None
) -> list[float]:
    """Wall-clock milliseconds per run; pass `cpu` to also collect this process's CPU ms
    (steadier than wall time on a busy machine; excludes the database server's work)."""
    for _ in range(warmup):
        action()
    out = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        out.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return out


def machine() -> dict:
    """What the numbers were measured on (a loaded machine inflates wall-clock times)."""
    return {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "min_ms": round(ordered[0], 3),
        "runs": len(ordered),
    }


def write(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def run(name: str, main: Callable[[], dict]) -> None:
    """The `if __name__ == "__main__":` body of a benchmark module."""
    started = time.perf_counter()
    result = main()
    result = {"benchmark": name, "seconds": round(time.perf_counter() - started, 2), **result}
    print(f"-> {write(name, result)}")
