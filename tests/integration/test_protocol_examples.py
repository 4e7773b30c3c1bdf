"""docs/protocol/*.json: the default seed of the bundled server answers each example exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tiledb.client.testing import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, LocalServer

EXAMPLES = sorted((Path(__file__).parents[2] / "docs" / "protocol").glob("*.json"))


def shape(value: Any) -> Any:
    """What a generated value must keep: its type and, for text, its form (hex, digits)."""
    if not isinstance(value, str):
        return type(value).__name__
    return re.sub(r"[0-9]", "9", re.sub(r"[0-9a-f]{8,}", "HEX", value))


def masked(body: Any, varies: list[str]) -> Any:
    body = json.loads(json.dumps(body))
    for dotted in varies:
        *parents, last = dotted.split(".")
        holder = body
        for key in parents:
            holder = holder[key]
        holder[last] = shape(holder[last])
    return body


def test_there_are_examples_of_every_call() -> None:
    calls = {
        (e["request"]["method"], e["request"]["path"].split("/")[2]) for e in map(load, EXAMPLES)
    }
    assert {
        ("GET", "users"),
        ("GET", "workspaces"),
        ("POST", "tokens"),
        ("DELETE", "tokens"),
    } <= calls


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_default_seed_answers_the_example(local_server: LocalServer, path: Path) -> None:
    example = load(path)
    request, expected = example["request"], example["response"]
    auth: dict[str, Any] = {
        "token": {"headers": {"X-TILEDB-REST-API-KEY": DEFAULT_TOKEN}},
        "unknown-token": {"headers": {"X-TILEDB-REST-API-KEY": "not-a-token"}},
        "basic": {"auth": (DEFAULT_USERNAME, DEFAULT_PASSWORD)},
    }.get(request["auth"], {})
    route = request["path"]
    if request["auth"] == "created-token":
        created = local_server.add_token(DEFAULT_USERNAME, "acme")
        auth = {"headers": {"X-TILEDB-REST-API-KEY": created.api_key}}
        route = route.replace("{token_id}", created.token_id)
    answer = requests.request(
        request["method"], local_server.url + route, json=request.get("body"), timeout=10, **auth
    )
    assert answer.status_code == expected["status"]
    body = answer.json() if answer.content else None
    varies = example.get("varies", [])
    assert masked(body, varies) == masked(expected["body"], varies)
