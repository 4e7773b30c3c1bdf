"""Property-based tests (hypothesis) of the two readers of files we do not control.

- The profile-file reader (``ProfileStore.read``) on arbitrary bytes, arbitrary JSON and
  profile-shaped JSON (plaintext secrets included, nesting thousands deep): it returns
  profiles or raises :class:`ConfigurationError` naming the file, quickly, and its
  message never quotes a secret.
- The vault reader (the ``encrypted-file`` backend's ``get``, ``contains``, ``keys``) on
  a real vault whose JSON was changed by hypothesis (values replaced, keys dropped or
  added, nesting bombs, arbitrary text): it returns the right secret or raises a
  :class:`SecretBackendError`, quickly, without quoting a secret or the passphrase.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.backends import CHEAP_POLICY, VAULT_PASSPHRASE
from tests.reliability.conftest import Figures, scaled
from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.secrets import encrypted_file
from tiledb.client.storage.profiles import ProfileStore

SECRET = "tok-FUZZ-ws_1-do-not-show"
PROFILE_EXAMPLES = scaled(1000)
VAULT_EXAMPLES = scaled(1000)
SLOWEST_READ = 2.0  # seconds; a read must never come near a hang

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.just(SECRET),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
profile_keys = st.sampled_from(
    ["rest.server_address", "rest.token", "rest.password", "rest.workspace", "client.secret_id"]
)
profiles = st.dictionaries(
    profile_keys, st.one_of(st.just(SECRET), st.text(max_size=10), json_values), max_size=5
)
profile_documents = st.dictionaries(
    st.one_of(st.just("version"), st.text(max_size=8)),
    st.one_of(profiles, json_values, st.integers(-3, 3)),
    max_size=4,
)


@st.composite
def nesting_bombs(draw: st.DrawFn) -> str:
    depth = draw(st.integers(500, 200_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = draw(st.sampled_from(["1", json.dumps(SECRET), ""]))
    return opener * depth + inner + closer * draw(st.integers(0, depth))


string_profiles = st.dictionaries(profile_keys, st.one_of(st.just(SECRET), st.text(max_size=10)))
valid_documents = st.tuples(
    st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda n: n != "version"),
        string_profiles,
        max_size=4,
    ),
    st.sampled_from([{}, {"version": 1}]),
).map(lambda parts: {**parts[1], **parts[0]})
profile_texts = st.one_of(
    valid_documents.map(json.dumps),
    profile_documents.map(json.dumps),
    json_values.map(json.dumps),
    nesting_bombs(),
    st.text(max_size=200),
    st.binary(max_size=200),
)


class Durations:
    def __init__(self) -> None:
        self.count = 0
        self.slowest = 0.0

    def timed(self, call: Any) -> Any:
        started = time.monotonic()
        try:
            return call()
        finally:
            elapsed = time.monotonic() - started
            self.count += 1
            self.slowest = max(self.slowest, elapsed)
            assert elapsed < SLOWEST_READ, f"a read took {elapsed:.1f} s"


def test_profile_file_reader(hermetic_env: Path, figures: Figures) -> None:
    store = ProfileStore()
    store.directory.mkdir(mode=0o700)
    durations = Durations()
    outcomes = {"read": 0, "refused": 0}

    @settings(max_examples=PROFILE_EXAMPLES)
    @given(profile_texts)
    def read_any(content: str | bytes) -> None:
        data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
        store.path.write_bytes(data)
        try:
            profiles = durations.timed(store.read)
        except ConfigurationError as exc:
            outcomes["refused"] += 1
            assert str(store.path) in str(exc)
            assert SECRET not in f"{exc} {exc!r}"
            return
        outcomes["read"] += 1
        assert all(isinstance(v, str) for p in profiles.values() for v in p.values())

    read_any()
    figures.record(
        "fuzzed profile files",
        f"{durations.count} cases: {outcomes['read']} read, {outcomes['refused']} refused with"
        f" ConfigurationError naming the file; slowest {durations.slowest * 1000:.0f} ms;"
        " 0 other exceptions, 0 secrets in messages",
    )


def _edit(document: Any, path: list[Any], value: Any) -> Any:
    """Return ``document`` with the value at ``path`` replaced (``...`` deletes it)."""
    if not path:
        return None if value is ... else value
    head, rest = path[0], path[1:]
    if isinstance(document, dict) and document:
        key = sorted(document)[head % len(document)]
        changed = dict(document)
        if value is ... and not rest:
            del changed[key]
        else:
            changed[key] = _edit(document[key], rest, value)
        return changed
    if isinstance(document, list) and document:
        changed_list = list(document)
        changed_list[head % len(document)] = _edit(document[head % len(document)], rest, value)
        return changed_list
    return value if value is not ... else None


small_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=30)),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
vault_edits = st.lists(
    st.tuples(
        st.lists(st.integers(0, 10), min_size=0, max_size=4), st.one_of(small_values, st.just(...))
    ),
    min_size=1,
    max_size=3,
)


@pytest.mark.timeout(300)
def test_vault_reader(vault: Path, figures: Figures) -> None:
    backend = encrypted_file.EncryptedFileBackend(kdf_policy=CHEAP_POLICY)
    secrets = {
        f"token: p{i} @ /home/ada/.tiledb/profiles.json [0000000{i}]": f"{SECRET}-{i}"
        for i in range(3)
    }
    for key, value in secrets.items():
        backend.set(key, value)
    original = json.loads(vault.read_text())
    durations = Durations()
    outcomes = {"right": 0, "refused": 0}

    def check(call: Any, expected: Any = None) -> None:
        try:
            result = durations.timed(call)
        except SecretBackendError as exc:
            outcomes["refused"] += 1
            text = f"{exc} {exc!r}"
            assert SECRET not in text and VAULT_PASSPHRASE not in text
            return
        if expected is not None:
            assert result == expected, "a damaged vault gave a wrong secret"
        outcomes["right"] += 1

    @settings(max_examples=VAULT_EXAMPLES)
    @given(
        st.one_of(
            vault_edits.map(lambda edits: ("edits", edits)),
            nesting_bombs().map(lambda t: ("text", t)),
        )
    )
    def read_damaged(change: tuple[str, Any]) -> None:
        kind, what = change
        if kind == "text":
            vault.write_text(
                '{"format": "tiledb-client-vault", "version": 1, "entries": ' + what + "}"
            )
        else:
            document = original
            for path, value in what:
                document = _edit(document, path, value)
            vault.write_text(json.dumps(document))
        encrypted_file.clear_key_cache()
        for key, secret in secrets.items():
            check(lambda key=key: backend.get(key), secret)
        check(lambda: backend.contains(next(iter(secrets))))
        check(backend.keys)

    read_damaged()
    figures.record(
        "fuzzed vaults",
        f"{VAULT_EXAMPLES} damaged vaults, {durations.count} reads (get, contains, keys):"
        f" {outcomes['right']} right answers, {outcomes['refused']} SecretBackendErrors;"
        f" slowest {durations.slowest * 1000:.0f} ms; 0 wrong secrets, 0 other exceptions,"
        " 0 secrets in messages",
    )
