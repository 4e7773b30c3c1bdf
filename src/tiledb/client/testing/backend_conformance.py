"""A conformance suite that every secret backend must pass, plugins included.

Subclass :class:`BackendConformance` in a pytest test module and provide a
``backend`` fixture that returns a working, empty-or-isolated backend::

    import pytest
    from tiledb.client.testing.backend_conformance import BackendConformance

    class TestMyBackend(BackendConformance):
        @pytest.fixture
        def backend(self):
            return MyBackend()

Every test uses keys with a random part and deletes what it wrote, so the suite
can run against a real store (a real Secret Service, say) without leaving items
behind. Requires pytest.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator

import pytest

from tiledb.client.basics.inputs import MAX_SECRET_LENGTH
from tiledb.client.errors import SecretBackendError
from tiledb.client.secrets.base import Availability, SecretBackend, secret_entry_key

__all__ = ["BackendConformance"]


class BackendConformance:
    """Tests every :class:`~tiledb.client.secrets.base.SecretBackend` must pass."""

    @pytest.fixture
    def backend(self) -> SecretBackend:
        """Return the backend under test (override in the subclass)."""
        raise NotImplementedError("provide a 'backend' fixture")

    @pytest.fixture
    def key(self, backend: SecretBackend) -> Iterator[str]:
        """Return a fresh key, and delete whatever the test stored under it."""
        secret_id = f"conformance @ /tmp/profiles.json [{secrets.token_hex(4)}]"
        entry = secret_entry_key(secret_id, "token")
        yield entry
        backend.delete(entry)

    def test_name_and_description(self, backend: SecretBackend) -> None:
        assert isinstance(backend.name, str)
        assert backend.name
        assert isinstance(backend.description, str)
        assert backend.description

    def test_probe_reports_available(self, backend: SecretBackend) -> None:
        availability = backend.probe()
        assert isinstance(availability, Availability)
        assert availability.available, availability.reason
        assert availability.reason

    def test_get_missing_returns_none(self, backend: SecretBackend, key: str) -> None:
        assert backend.get(key) is None
        assert not backend.contains(key)

    def test_delete_missing_returns_false(self, backend: SecretBackend, key: str) -> None:
        assert backend.delete(key) is False

    def test_set_get_delete_round_trip(self, backend: SecretBackend, key: str) -> None:
        backend.set(key, "tdb-secret-value")
        assert backend.get(key) == "tdb-secret-value"
        assert backend.contains(key)
        assert backend.delete(key) is True
        assert backend.get(key) is None
        assert backend.delete(key) is False

    def test_contains_many_names_the_stored_keys(self, backend: SecretBackend, key: str) -> None:
        other, missing = key.replace("token: ", "password: "), key.replace("token: ", "session: ")
        long_one = key.replace("token: ", "token (long): ")
        try:
            backend.set(key, "one")
            backend.set(other, "two")
            backend.set(long_one, "x" * MAX_SECRET_LENGTH)
            assert backend.contains_many([key, other, missing, long_one]) == {
                key,
                other,
                long_one,
            }
            assert backend.contains_many([]) == set()
        finally:
            for stored in (key, other, long_one):
                backend.delete(stored)

    def test_set_replaces(self, backend: SecretBackend, key: str) -> None:
        backend.set(key, "first")
        backend.set(key, "second")
        assert backend.get(key) == "second"

    def test_keys_are_independent(self, backend: SecretBackend, key: str) -> None:
        other = key.replace("token: ", "password: ")
        try:
            backend.set(key, "one")
            backend.set(other, "two")
            assert backend.get(key) == "one"
            assert backend.get(other) == "two"
            backend.delete(key)
            assert backend.get(other) == "two"
        finally:
            backend.delete(other)

    @pytest.mark.parametrize(
        "secret",
        [
            "a-ws_2b7c9d1e3f4a5b6c-b",
            "pässwörd with spaces, quotes \" ' and unicode ✓",
            "x" * MAX_SECRET_LENGTH,  # the longest secret the library accepts
            "\U0001f511" * (MAX_SECRET_LENGTH // 2),  # as long, in UTF-16 (emoji count two)
            "line one\nline two\ttab",
        ],
        ids=["token", "unicode", "long", "long-emoji", "control"],
    )
    def test_values_survive_exactly(self, backend: SecretBackend, key: str, secret: str) -> None:
        backend.set(key, secret)
        assert backend.get(key) == secret

    def test_empty_secret_is_refused(self, backend: SecretBackend, key: str) -> None:
        with pytest.raises((ValueError, SecretBackendError)):
            backend.set(key, "")
        assert backend.get(key) is None

    def test_repr_shows_no_secret(self, backend: SecretBackend, key: str) -> None:
        backend.set(key, "never-show-this-secret")
        assert "never-show-this-secret" not in repr(backend)
        assert "never-show-this-secret" not in str(backend)

    def test_concurrent_writers_in_threads(self, backend: SecretBackend, key: str) -> None:
        keys = [key.replace("token: ", f"session{index}: ") for index in range(4)]
        errors: list[BaseException] = []

        def write(entry: str, value: str) -> None:
            try:
                backend.set(entry, value)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [
            threading.Thread(target=write, args=(entry, f"value-{index}"))
            for index, entry in enumerate(keys)
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert not errors
            for index, entry in enumerate(keys):
                assert backend.get(entry) == f"value-{index}"
        finally:
            for entry in keys:
                backend.delete(entry)
