"""Compare NLU pipelines on held-out data and by cross-validation; pick by the numbers.

    .venv/bin/python bench/nlu_compare.py                  # every config in bench/nlu_configs/
    .venv/bin/python bench/nlu_compare.py logreg --skip-cv # one config, no cross-validation

For each config: train an NLU model from data/nlu/ (timed), serve it with the real Rasa server
on loopback, parse tests/nlu/holdout.yml (never trained on) and tests/nlu/gibberish.yml one
message at a time through POST /model/parse (timed), and score intents as served (nlu_fallback
counts as right for out_of_scope text), entities by (entity, value), and FallbackClassifier
thresholds; then `rasa test nlu --cross-validation` on the training data. Prints a table and
writes bench/results/nlu_compare.json. Runs in the app env; Rasa is called in .venv-rasa.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.training_examples import Example, read_examples, read_synonyms  # noqa: E402

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
CONFIG_DIR = ROOT / "bench" / "nlu_configs"
NLU_DATA = ROOT / "data" / "nlu"
HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
GIBBERISH = ROOT / "tests" / "nlu" / "gibberish.yml"
RESULTS = ROOT / "bench" / "results" / "nlu_compare.json"
ENTITY_TYPES = ("provider", "appointment_type", "insurer", "room")
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 17)]
AMBIGUITY_THRESHOLDS = [0.0, 0.05, 0.1]
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


def rasa_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MEDSEC_NOW": "2027-03-01T09:00:00-05:00",
        "MEDSEC_TIMEZONE": "America/New_York",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }


def run_rasa(args: list[str], log: Path) -> float:
    start = time.perf_counter()
    with log.open("wb") as out:
        done = subprocess.run(
            [str(RASA), *args], cwd=ROOT, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"rasa {args[0]} {args[1]} failed:\n{tail}")
    return time.perf_counter() - start


def train(config: Path, workdir: Path) -> tuple[Path, float]:
    seconds = run_rasa(
        ["train", "nlu", "--config", str(config), "--nlu", str(NLU_DATA), "--out", str(workdir),
         "--fixed-model-name", config.stem],
        workdir / "train.log",
    )  # fmt: skip
    return workdir / f"{config.stem}.tar.gz", seconds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(model: Path, workdir: Path) -> Iterator[int]:
    """The Rasa server with this model on a free loopback port; stopped afterwards."""
    port = _free_port()
    endpoints = workdir / "endpoints.yml"  # parsing needs no tracker store, lock store or actions
    endpoints.write_text("# none: NLU only\n")
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(RASA), "run", "--enable-api", "--model", str(model), "--interface", "127.0.0.1",
         "--port", str(port), "--endpoints", str(endpoints)],
        cwd=ROOT, env=rasa_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (workdir / "serve.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"rasa server did not start:\n{tail}")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/status")
                if connection.getresponse().status == 200:
                    break
            time.sleep(0.5)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def parse_all(port: int, texts: list[str]) -> tuple[list[dict], list[float]]:
    """Parse one message at a time (as a chat turn would) on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}

    def parse(text: str) -> dict:
        connection.request("POST", "/model/parse", json.dumps({"text": text}), headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"/model/parse {response.status}: {body[:200]!r}")
        return json.loads(body)

    for text in ("hello", "book me in tomorrow at 3", "what do I owe"):  # warm-up
        parse(text)
    results, latencies = [], []
    for text in texts:
        start = time.perf_counter()
        results.append(parse(text))
        latencies.append((time.perf_counter() - start) * 1000)
    return results, latencies


def _top(parse: dict) -> tuple[str, float, float]:
    """Classifier's best intent, its confidence and the runner-up's (nlu_fallback left out)."""
    ranking = [r for r in parse.get("intent_ranking") or [] if r["name"] != FALLBACK]
    if not ranking:
        return parse["intent"]["name"], parse["intent"]["confidence"], 0.0
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    return ranking[0]["name"], ranking[0]["confidence"], second


def _right(expected: str, predicted: str) -> bool:
    return predicted == expected or (expected == OUT_OF_SCOPE and predicted == FALLBACK)


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {expected for expected, _ in pairs}
    scores = []
    for label in labels:
        tp = sum(1 for e, p in pairs if e == label and p == label)
        fp = sum(1 for e, p in pairs if e != label and p == label)
        fn = sum(1 for e, p in pairs if e == label and p != label)
        scores.append(_f1(tp, fp, fn)[2])
    return sum(scores) / len(scores)


def _fallback_config(config: Path) -> tuple[float, float]:
    pipeline = yaml.safe_load(config.read_text())["pipeline"]
    for component in pipeline:
        # Rasa's own or a subclass named after it (nlu.blank_text.BlankAwareFallbackClassifier)
        if component["name"].endswith("FallbackClassifier"):
            return component.get("threshold", 0.3), component.get("ambiguity_threshold", 0.1)
    return 0.0, 0.0


def score(config: Path, examples: list[Example], parses: list[dict], gibberish: list[dict]) -> dict:
    served = [
        (e.intent, OUT_OF_SCOPE if p["intent"]["name"] == FALLBACK else p["intent"]["name"])
        for e, p in zip(examples, parses, strict=True)
    ]
    raw = [(e.intent, _top(p)[0]) for e, p in zip(examples, parses, strict=True)]
    confusions = Counter(f"{e} -> {p}" for e, p in served if e != p)

    tp = fp = fn = 0
    for example, parse in zip(examples, parses, strict=True):
        got = {
            (e["entity"], str(e["value"]))
            for e in parse.get("entities") or []
            if e["entity"] in ENTITY_TYPES
        }
        want = {pair for pair in example.entities if pair[0] in ENTITY_TYPES}
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    precision, recall, entity_f1 = _f1(tp, fp, fn)

    threshold, ambiguity = _fallback_config(config)
    in_scope = [(e, p) for e, p in zip(examples, parses, strict=True) if e.intent != OUT_OF_SCOPE]
    noise = [p for e, p in zip(examples, parses, strict=True) if e.intent == OUT_OF_SCOPE]
    noise += gibberish
    sweep = []
    for t, a in [(t, a) for t in THRESHOLDS for a in AMBIGUITY_THRESHOLDS]:

        def decide(parse: dict, t: float = t, a: float = a) -> str:
            name, confidence, second = _top(parse)
            return FALLBACK if confidence < t or confidence - second < a else name

        in_scope_right = sum(1 for e, p in in_scope if decide(p) == e.intent)
        caught = sum(1 for p in noise if decide(p) in (FALLBACK, OUT_OF_SCOPE))
        sweep.append(
            {
                "threshold": t,
                "ambiguity_threshold": a,
                "in_scope_accuracy": round(in_scope_right / len(in_scope), 4),
                "out_of_scope_caught": round(caught / len(noise), 4),
                "errors": (len(in_scope) - in_scope_right) + (len(noise) - caught),
            }
        )
    gib_caught = sum(1 for p in gibberish if p["intent"]["name"] in (FALLBACK, OUT_OF_SCOPE))
    return {
        "holdout_examples": len(examples),
        "intent_accuracy_served": round(sum(_right(e, p) for e, p in served) / len(served), 4),
        "intent_accuracy_classifier": round(sum(e == p for e, p in raw) / len(raw), 4),
        "intent_macro_f1_served": round(_macro_f1(served), 4),
        "entity_precision": round(precision, 4),
        "entity_recall": round(recall, 4),
        "entity_f1": round(entity_f1, 4),
        "gibberish_caught": round(gib_caught / len(gibberish), 4),
        "fallback_threshold": threshold,
        "ambiguity_threshold": ambiguity,
        "threshold_sweep": sweep,
        "top_confusions": confusions.most_common(12),
    }


def cross_validate(config: Path, folds: int, workdir: Path) -> dict:
    out = workdir / "cv"
    seconds = run_rasa(
        ["test", "nlu", "--nlu", str(NLU_DATA), "--config", str(config), "--cross-validation",
         "--folds", str(folds), "--out", str(out)],
        workdir / "cv.log",
    )  # fmt: skip
    intents = json.loads((out / "intent_report.json").read_text())
    result = {
        "folds": folds,
        "seconds": round(seconds, 1),
        "intent_accuracy": round(intents["accuracy"], 4),
        "intent_macro_f1": round(intents["macro avg"]["f1-score"], 4),
        "intent_weighted_f1": round(intents["weighted avg"]["f1-score"], 4),
    }
    reports = sorted(out.glob("*Extractor_report.json")) + sorted(out.glob("DIET*_report.json"))
    for report in [r for r in reports if not r.name.startswith("TimeExtractor")]:
        data = json.loads(report.read_text())
        scores = [data[k]["f1-score"] for k in ENTITY_TYPES if k in data]
        if scores:
            result[f"entity_f1_{report.stem.removesuffix('_report')}"] = round(
                sum(scores) / len(scores), 4
            )
    return result


def bench_config(config: Path, prebuilt: Path | None = None, train_seconds: float = 0.0) -> dict:
    synonyms = read_synonyms(*sorted(NLU_DATA.glob("*.yml")))
    examples = read_examples(HOLDOUT, synonyms)
    gibberish = [str(t) for t in yaml.safe_load(GIBBERISH.read_text())["gibberish"]]
    with tempfile.TemporaryDirectory(prefix=f"nlu-{config.stem}-") as tmp:
        workdir = Path(tmp)
        if prebuilt:  # a model trained earlier from this config (DIET takes long to train)
            model = prebuilt
        else:
            print(f"[{config.stem}] training ...", flush=True)
            model, train_seconds = train(config, workdir)
        print(f"[{config.stem}] trained in {train_seconds:.0f} s; parsing held-out set", flush=True)
        with serve(model, workdir) as port:
            parses, latencies = parse_all(port, [e.text for e in examples])
            gibberish_parses, more = parse_all(port, gibberish)
        latencies += more
        result = {"train_seconds": round(train_seconds, 1)}
        result.update(score(config, examples, parses, gibberish_parses))
        ordered = sorted(latencies)
        result["parse_ms"] = {
            "p50": round(statistics.median(ordered), 2),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
            "mean": round(statistics.fmean(ordered), 2),
            "n": len(ordered),
        }
    return result


def cv_config(config: Path, folds: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"nlu-cv-{config.stem}-") as tmp:
        print(f"[{config.stem}] {folds}-fold cross-validation ...", flush=True)
        return cross_validate(config, folds, Path(tmp))


def print_table(results: dict[str, dict]) -> None:
    columns = [
        ("config", lambda n, r: n),
        ("holdout acc", lambda n, r: f"{r['intent_accuracy_served']:.1%}"),
        ("holdout F1", lambda n, r: f"{r['intent_macro_f1_served']:.3f}"),
        ("CV acc", lambda n, r: f"{r['cross_validation']['intent_accuracy']:.1%}"
         if "cross_validation" in r else "-"),
        ("CV F1", lambda n, r: f"{r['cross_validation']['intent_macro_f1']:.3f}"
         if "cross_validation" in r else "-"),
        ("entity F1", lambda n, r: f"{r['entity_f1']:.3f}"),
        ("gibberish caught", lambda n, r: f"{r['gibberish_caught']:.0%}"),
        ("train s", lambda n, r: f"{r['train_seconds']:.0f}"),
        ("parse p50 ms", lambda n, r: f"{r['parse_ms']['p50']:.1f}"),
        ("parse p95 ms", lambda n, r: f"{r['parse_ms']['p95']:.1f}"),
    ]  # fmt: skip
    rows = [[c[0] for c in columns]]
    rows += [[str(c[1](name, r)) for c in columns] for name, r in results.items()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for name, r in results.items():
        best = min(r["threshold_sweep"], key=lambda s: (s["errors"], s["threshold"]))
        print(
            f"{name}: fallback threshold {r['fallback_threshold']}/{r['ambiguity_threshold']} in "
            f"use; fewest errors at {best['threshold']}/{best['ambiguity_threshold']} (in-scope "
            f"{best['in_scope_accuracy']:.1%}, out-of-scope "
            f"caught {best['out_of_scope_caught']:.1%}); confusions: {r['top_confusions'][:5]}"
        )


def write_results(out: Path, results: dict[str, dict]) -> None:
    """Merge into the results file (what was not run this time keeps its last numbers)."""
    previous = json.loads(out.read_text()) if out.exists() else {}
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "nlu_compare",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_1m": round(os.getloadavg()[0], 1),
        "holdout": str(HOLDOUT.relative_to(ROOT)),
        "configs": {
            name: {**previous.get("configs", {}).get(name, {}), **results.get(name, {})}
            for name in {**previous.get("configs", {}), **results}
        },
    }
    out.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("configs", nargs="*", help="config names in bench/nlu_configs/")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true", help="held-out set only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--model", type=Path, help="score this trained model (one config)")
    parser.add_argument("--train-seconds", type=float, default=0.0, help="its training time")
    args = parser.parse_args(argv)
    if args.model and len(args.configs) != 1:
        parser.error("--model needs exactly one config name")
    names = args.configs or sorted(p.stem for p in CONFIG_DIR.glob("*.yml"))
    results: dict[str, dict] = {}
    for name in names:  # every held-out run first: they are quick
        config = CONFIG_DIR / f"{name}.yml"
        if not config.exists():
            parser.error(f"no config {config}")
        results[name] = bench_config(config, args.model, args.train_seconds)
        write_results(args.out, results)
    if not args.skip_cv:
        for name in names:
            results[name]["cross_validation"] = cv_config(CONFIG_DIR / f"{name}.yml", args.folds)
            write_results(args.out, results)
    print_table(results)
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
