"""Full conversation turns through Rasa's REST channel, with the real action server and a
seeded SQLite store behind it (clinic store and Rasa's tracker store in one file, as deployed
by default), at 1 and at 20 concurrent conversations; and parse-only latency (/model/parse).

Each conversation is a linked patient doing what patients do: greet, ask the hours, start a
booking in words, tap "whoever is free first", tap the first offered time, ask a side question,
confirm (taking another time if someone was faster), list appointments, ask about a claim,
say goodbye. A turn is one POST /webhooks/rest/webhook: NLU, dialogue, every action call and
the tracker load and save. Targets (2 cores): p95 <= 300 ms and >= 40 turns/s at 20 concurrent.

    .venv/bin/python -m bench.rasa_turns [--conversations-1 N] [--conversations-20 N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bench import machine, postgres_url, run, summary

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 300.0
TARGET_TURNS_PER_S = 40.0
PARSE_TEXTS = [
    "hello",
    "I need a checkup with Dr Patel next week",
    "are you open on saturday?",
    "how much do I owe?",
    "please tell Dr Lee my blood pressure is back to normal",
    "can I move my visit to friday at 3pm?",
    "what's the weather like?",
    "did my insurance pay for the visit on march 3?",
]


def postgres_schema_url(base: str, schema: str) -> str:
    """`base` with every connection's search_path set to `schema` (created here)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from clinic.db import create_engine_for

    admin = create_engine_for(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_postgres_schema(base: str, schema: str) -> None:
    from sqlalchemy import text

    from clinic.db import create_engine_for

    admin = create_engine_for(base)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def seed_store(url: str, senders: list[str]) -> str:
    """Migrate and seed the store at `url`; each sender (one per conversation, so each
    starts with a fresh tracker) linked to one of the seeded patients, round-robin."""
    from sqlalchemy import select

    from clinic.db import create_engine_for, session_scope, upgrade
    from clinic.identity import link_identity
    from clinic.models import Patient
    from clinic.seed import DEMO_NOW, seed_demo

    upgrade(url)
    engine = create_engine_for(url)
    with session_scope(engine) as session:
        seed_demo(session, now=DEMO_NOW, progress=False)
    with session_scope(engine) as session:
        patients = list(session.scalars(select(Patient).order_by(Patient.id)))
        for n, sender in enumerate(senders):
            patient = patients[n % len(patients)]
            link_identity(session, sender, patient.phone, patient.date_of_birth)
    engine.dispose()
    return url


class Conversation:
    """One patient's conversation; `turns` collects (latency ms, ok) per POST."""

    def __init__(self, http: aiohttp.ClientSession, rasa: str, sender: str) -> None:
        self.http, self.rasa, self.sender = http, rasa, sender
        self.latencies: list[float] = []
        self.errors = 0

    async def say(self, text: str) -> list[dict[str, Any]]:
        started = time.perf_counter()
        try:
            async with self.http.post(
                f"{self.rasa}/webhooks/rest/webhook",
                json={"sender": self.sender, "message": text},
            ) as response:
                body = await response.json() if response.status == 200 else None
        except (aiohttp.ClientError, TimeoutError):
            body = None
        self.latencies.append((time.perf_counter() - started) * 1000)
        if not isinstance(body, list) or not body:
            self.errors += 1
            return []
        return body

    @staticmethod
    def buttons(replies: list[dict[str, Any]], prefix: str) -> list[str]:
        return [
            b["payload"]
            for r in replies
            for b in r.get("buttons") or []
            if b["payload"].startswith(prefix)
        ]

    async def run(self) -> None:
        await self.say("hello")
        await self.say("are you open on saturday?")
        replies = await self.say("I need a checkup next week")
        if self.buttons(replies, '/inform{"provider"'):
            replies = await self.say('/inform{"provider":"any"}')
        for _ in range(3):  # someone may take the time first: then take an alternative
            offers = self.buttons(replies, '/inform{"slot_start"')
            if not offers:
                break
            replies = await self.say(offers[0])
            await self.say("what should I bring?")
            replies = await self.say("yes")
            if not self.buttons(replies, '/inform{"slot_start"'):
                break
        await self.say("when is my next appointment?")
        await self.say("did my insurance pay?")
        await self.say("thanks, bye")


def cpu_seconds(process_group: int) -> float:
    """User + system CPU seconds of every live process in a process group (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == process_group:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / tick


def sender_ids(tag: str, count: int) -> list[str]:
    return [f"web:bench-{tag}-{n}" for n in range(count)]


async def conversations(
    rasa: str, count: int, concurrency: int, tag: str, servers: dict[str, int] | None = None
) -> dict[str, Any]:
    limit = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=60)
    done: list[Conversation] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def one(n: int) -> None:
            async with limit:
                conversation = Conversation(http, rasa, sender_ids(tag, count)[n])
                await conversation.run()
                done.append(conversation)

        cpu_before = {name: cpu_seconds(group) for name, group in (servers or {}).items()}
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        elapsed = time.perf_counter() - started
        cpu = {
            name: cpu_seconds(group) - cpu_before[name] for name, group in (servers or {}).items()
        }
    latencies = [ms for c in done for ms in c.latencies]
    return {
        "concurrency": concurrency,
        "conversations": count,
        "turns": len(latencies),
        "errors": sum(c.errors for c in done),
        "seconds": round(elapsed, 2),
        "turns_per_s": round(len(latencies) / elapsed, 1),
        **summary(latencies),
        # CPU per turn is steadier than wall time on a shared machine.
        "cpu_ms_per_turn": {
            name: round(seconds * 1000 / max(len(latencies), 1), 1) for name, seconds in cpu.items()
        },
    }


async def parse_only(rasa: str, repeat: int) -> dict[str, Any]:
    latencies = []
    async with aiohttp.ClientSession() as http:
        for _ in range(repeat):
            for text in PARSE_TEXTS:
                started = time.perf_counter()
                async with http.post(f"{rasa}/model/parse", json={"text": text}) as response:
                    await response.read()
                latencies.append((time.perf_counter() - started) * 1000)
    return summary(latencies)


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations-1", type=int, default=8)
    parser.add_argument("--conversations-20", type=int, default=80)
    parser.add_argument(
        "--endpoints", type=Path, default=None, help="another endpoints.yml (e.g. to compare)"
    )
    parser.add_argument(
        "--rasa-workers",
        type=int,
        default=1,
        help="Sanic workers for Rasa; more than 1 uses endpoints.replicas.yml (Redis lock "
        "store at REDIS_HOST/REDIS_PORT, default 127.0.0.1:6379)",
    )
    parser.add_argument(
        "--store",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="postgresql: a fresh schema in BENCH_DATABASE_URL / TEST_DATABASE_URL",
    )
    parser.add_argument(
        "--tracker",
        choices=["same", "separate"],
        default="same",
        help="Rasa's tracker store in the clinic store's SQLite file (default) or its own file",
    )
    args = parser.parse_args()

    from clinic.seed import DEMO_NOW
    from tests.servers import start_action_server, start_rasa_server

    with tempfile.TemporaryDirectory(prefix="bench-rasa-") as folder:
        runs = {"warmup": 2, "c1": args.conversations_1, "c20": args.conversations_20}
        schema = None
        if args.store == "postgresql":
            base = postgres_url()
            if not base:
                raise SystemExit("--store postgresql needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
            schema = f"bench_rasa_{os.getpid()}"
            url = postgres_schema_url(base, schema)
        else:
            url = f"sqlite:///{Path(folder) / 'medsec.db'}"
        seed_store(url, [s for tag, n in runs.items() for s in sender_ids(tag, n)])
        env = {"DATABASE_URL": url, "MEDSEC_NOW": DEMO_NOW.isoformat()}
        endpoints = args.endpoints
        if args.rasa_workers > 1:
            endpoints = endpoints or ROOT / "endpoints.replicas.yml"
            env |= {
                "SANIC_WORKERS": str(args.rasa_workers),
                "REDIS_HOST": os.environ.get("REDIS_HOST", "127.0.0.1"),
                "REDIS_PORT": os.environ.get("REDIS_PORT", "6379"),
            }
        if args.tracker == "separate":
            env["TRACKER_DATABASE_URL"] = f"sqlite:///{Path(folder) / 'trackers.db'}"
        actions = start_action_server(env=env)
        try:
            rasa = start_rasa_server(action_server_url=actions.url, env=env, endpoints=endpoints)
            try:
                servers = {"rasa": rasa.process.pid, "actions": actions.process.pid}
                asyncio.run(conversations(rasa.url, runs["warmup"], 1, "warmup"))
                single = asyncio.run(conversations(rasa.url, runs["c1"], 1, "c1", servers))
                many = asyncio.run(conversations(rasa.url, runs["c20"], 20, "c20", servers))
                parse = asyncio.run(parse_only(rasa.url, repeat=10))
            finally:
                rasa.stop()
        finally:
            actions.stop()
            if schema:
                drop_postgres_schema(postgres_url(), schema)
    meets = many["p95_ms"] <= TARGET_P95_MS and many["turns_per_s"] >= TARGET_TURNS_PER_S
    for row in (single, many):
        print(
            f"{row['concurrency']:>2} concurrent: {row['turns']} turns in {row['seconds']} s = "
            f"{row['turns_per_s']} turns/s, p50 {row['median_ms']:.0f} ms, "
            f"p95 {row['p95_ms']:.0f} ms, errors {row['errors']}; CPU per turn: "
            + ", ".join(f"{k} {v} ms" for k, v in row["cpu_ms_per_turn"].items())
        )
    print(f"parse only: p50 {parse['median_ms']:.1f} ms, p95 {parse['p95_ms']:.1f} ms")
    print(f"machine: {machine()}")
    print(
        f"target p95 <= {TARGET_P95_MS:.0f} ms and >= {TARGET_TURNS_PER_S:.0f} turns/s at 20: "
        f"{'met' if meets else 'NOT met'}"
    )
    return {
        "machine": machine(),
        "store": f"{args.store}: clinic store + Rasa tracker store "
        + ("in one database" if args.tracker == "same" else "in separate databases"),
        "rasa_workers": args.rasa_workers,
        "policies": [
            p["name"] for p in yaml.safe_load((ROOT / "config.yml").read_text())["policies"]
        ],
        "one_concurrent": single,
        "twenty_concurrent": many,
        "parse_only": parse,
        "targets": {"p95_ms": TARGET_P95_MS, "turns_per_s": TARGET_TURNS_PER_S, "met": meets},
    }


if __name__ == "__main__":
    run("rasa_turns", main)
