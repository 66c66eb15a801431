"""Rasa custom actions (rasa-sdk), one module per area; see actions/README.md.

Every action call carries the whole conversation (~15-35 KB of JSON): the action server reads
it with orjson, ~1.7x faster than the ujson Sanic uses by default. This is what
`Sanic(loads=...)` does; rasa-sdk builds its Sanic app itself, so it is set here, where the
server imports the actions (in every worker process)."""

import orjson
from sanic.request import Request

Request._loads = orjson.loads  # type: ignore[attr-defined]
