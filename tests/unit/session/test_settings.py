"""Settings resolution: argument > environment > profile > default, with sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tiledb.client.basics.masking import mask
from tiledb.client.basics.protocol import workspace_from_token
from tiledb.client.errors import ConfigurationError
from tiledb.client.session.settings import DEFAULT_HOST, PlaintextSecretWarning, resolve
from tiledb.client.storage.profiles import ProfileStore


@pytest.fixture
def store(hermetic_env: Path) -> ProfileStore:
    return ProfileStore()


def test_env_token_without_any_profile_is_a_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "tok-ws_abc123-x")
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", "localhost:8080/")
    settings = resolve()
    assert settings.token is not None
    assert settings.token.value == "tok-ws_abc123-x"
    assert settings.token.source == "TILEDB_REST_TOKEN"
    assert settings.host.value == "https://localhost:8080"
    assert settings.profile is None
    assert settings.backend is None


def test_no_credentials_anywhere_is_a_clear_error(store: ProfileStore) -> None:
    with pytest.raises(ConfigurationError, match="profile 'default' does not exist"):
        resolve()


def test_precedence_per_field(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(
        "default",
        {
            "rest.server_address": "https://profile.example",
            "rest.workspace": "from-profile",
            "rest.token": "plain-profile-token",
        },
    )
    monkeypatch.setenv("TILEDB_REST_WORKSPACE", "from-env")
    with pytest.warns(PlaintextSecretWarning, match="tiledb-client migrate --profile default"):
        settings = resolve(arguments={"host": "http://arg.example"})
    assert (settings.host.value, settings.host.source) == ("http://arg.example", "argument")
    assert (settings.workspace.value, settings.workspace.source) == (
        "from-env",
        "TILEDB_REST_WORKSPACE",
    )
    assert settings.token is not None
    assert settings.token.source.endswith("plain text")


def test_env_credentials_shadow_the_profile_as_a_unit(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(
        "default",
        {"rest.server_address": "https://p.example", "rest.token": "stored", "rest.workspace": "w"},
    )
    monkeypatch.setenv("TILEDB_REST_USERNAME", "ada")
    monkeypatch.setenv("TILEDB_REST_PASSWORD", "env-password")
    with pytest.warns(PlaintextSecretWarning):
        settings = resolve()
    assert settings.token is None
    assert settings.password is not None
    assert settings.password.source == "TILEDB_REST_PASSWORD"
    assert settings.shadowed
    assert "TILEDB_REST_PASSWORD" in settings.shadowed[0]


def test_password_without_username_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_PASSWORD", "pw")
    with pytest.raises(ConfigurationError, match="no username"):
        resolve()


def test_verify_ssl_from_core_and_vendor_keys(store: ProfileStore) -> None:
    store.save("core", {"ssl.verify": "false", "rest.token": "t"})
    store.save("vendor", {"rest.verify_ssl": "false", "rest.token": "t"})
    store.save("bad", {"ssl.verify": "maybe", "rest.token": "t"})
    with pytest.warns(PlaintextSecretWarning):
        assert resolve("core").verify_ssl.value is False
        assert resolve("vendor").verify_ssl.value is False
        with pytest.raises(ConfigurationError, match="true or false"):
            resolve("bad")


def test_rows_and_summary_mask_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "tdb-very-secret-token-value"
    monkeypatch.setenv("TILEDB_REST_TOKEN", secret)
    settings = resolve()
    text = repr(settings) + settings.summary() + repr(settings.rows())
    assert secret not in text
    assert "TILEDB_REST_TOKEN" in settings.summary()
    assert "****lue" in {name: shown for name, shown, _ in settings.rows()}["token"]


def test_mask_and_workspace_from_token() -> None:
    assert "abc" not in mask("abc")
    assert mask("a-rather-long-password-value", tail=False) == "****"
    assert mask("short-token") == "****"
    assert mask(None) == "<none>"
    assert workspace_from_token("a-ws_123-b") == "ws_123"
    assert workspace_from_token("a-ws_123") is None
    assert workspace_from_token("a-b-c") is None
    assert workspace_from_token("a-ws_-b") is None


def test_a_secret_missing_from_its_backend_is_secret_not_found(
    store: ProfileStore, vault: Path
) -> None:
    from tiledb.client.errors import SecretNotFoundError

    store.save(
        "default",
        {
            "rest.server_address": "https://api.example.com",
            "rest.workspace": "acme",
            "client.auth": "token",
            "client.secret_backend": "encrypted-file",
            "client.secret_id": "default @ elsewhere [00000000]",
        },
    )
    with pytest.raises(SecretNotFoundError, match="missing from the 'encrypted-file' backend"):
        resolve()


@pytest.mark.parametrize("how", ["environment", "argument"])
def test_a_shadowed_stored_secret_is_not_read(
    store: ProfileStore, vault: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    from tiledb.client import client
    from tiledb.client.secrets import encrypted_file

    client.configure(token="stored-ws_abc123-tok", host="https://api.example.com")
    # Reading the vault now fails: no passphrase source (and no terminal to ask on).
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    encrypted_file.clear_key_cache()
    arguments = {"token": "given-ws_abc123-tok"} if how == "argument" else None
    if how == "environment":
        monkeypatch.setenv("TILEDB_REST_TOKEN", "given-ws_abc123-tok")
    settings = resolve(arguments=arguments)
    assert settings.token is not None
    assert settings.token.value == "given-ws_abc123-tok"
    assert settings.backend is None
    assert len(settings.shadowed) == 1
    assert "shadows the credentials stored in profile 'default'" in settings.shadowed[0]


def test_a_stored_password_is_read_only_when_needed(store: ProfileStore, vault: Path) -> None:
    from tiledb.client import client
    from tiledb.client.session.settings import StoredSecret

    client.configure(
        username="ada", password="pw-1843", workspace="acme", host="https://api.example.com"
    )
    settings = resolve()
    assert settings.password is not None
    assert isinstance(settings.password.value, StoredSecret)
    assert "pw-1843" not in repr(settings.password.value)
    assert ("password", "****", settings.password.source) in settings.rows()
    assert settings.password.text() == "pw-1843"


# -- each source, each setting ------------------------------------------------------------

NON_SECRET = [
    # name, environment variable, profile key, a value
    ("host", "TILEDB_REST_SERVER_ADDRESS", "rest.server_address", "https://h.example"),
    ("workspace", "TILEDB_REST_WORKSPACE", "rest.workspace", "acme"),
    ("username", "TILEDB_REST_USERNAME", "rest.username", "ada"),
]  # ca_file must name an existing file: tested on its own (test_rows_summary_and_reprs)


def profile_source(store: ProfileStore, name: str = "default") -> str:
    return f"profile {name!r} ({store.path})"


@pytest.mark.parametrize(("name", "env", "key", "value"), NON_SECRET)
def test_each_setting_argument_then_environment_then_profile_then_default(
    store: ProfileStore,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    env: str,
    key: str,
    value: str,
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "t")
    store.save("default", {key: value + "/profile"})
    store.save("empty", {key: ""})

    def picked(**arguments: str) -> tuple[str, str]:
        resolved = getattr(resolve(arguments=arguments), name)
        return resolved.value, resolved.source

    from_profile = (value + "/profile", profile_source(store))
    if name == "host":
        from_profile = ("https://h.example/profile", profile_source(store))
    assert picked() == from_profile
    monkeypatch.setenv(env, value + "/env")
    assert picked() == (value + "/env", env)
    assert picked(**{name: value + "/arg"}) == (value + "/arg", "argument")
    assert picked(**{name: ""}) == (value + "/env", env)  # an empty argument is no argument
    monkeypatch.setenv(env, "")
    assert picked() == from_profile  # nor is an empty variable
    monkeypatch.delenv(env)
    empty = getattr(resolve("empty"), name)  # nor an empty profile value
    if name == "host":
        assert (empty.value, empty.source) == ("https://api.tiledb.com", "default")
    else:
        assert (empty.value, empty.source) == (None, "default")


def test_host_is_normalised_and_defaults_to_tiledb_cloud(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "t")
    settings = resolve()
    assert (settings.host.value, settings.host.source) == (DEFAULT_HOST, "default")
    assert DEFAULT_HOST == "https://api.tiledb.com"
    store.save("default", {"rest.server_address": "example.com:8443//"})
    settings = resolve()
    assert (settings.host.value, settings.host.source) == (
        "https://example.com:8443",
        profile_source(store),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        (" TRUE ", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("Off\n", False),
    ],
)
def test_verify_ssl_words(monkeypatch: pytest.MonkeyPatch, text: str, expected: bool) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "t")
    monkeypatch.setenv("TILEDB_SSL_VERIFY", text)
    verify = resolve().verify_ssl
    assert (verify.value, verify.source) == (expected, "TILEDB_SSL_VERIFY")


def test_verify_ssl_sources(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "t")
    assert (resolve().verify_ssl.value, resolve().verify_ssl.source) == (True, "default")
    store.save("legacy", {"rest.verify_ssl": "false"})
    store.save("both", {"rest.verify_ssl": "false", "ssl.verify": "true"})
    legacy = resolve("legacy").verify_ssl
    assert (legacy.value, legacy.source) == (False, profile_source(store, "legacy"))
    assert resolve("both").verify_ssl.value is True  # core's key wins over the vendor's
    argument = resolve("legacy", arguments={"verify_ssl": True}).verify_ssl
    assert (argument.value, argument.source) == (True, "argument")
    monkeypatch.setenv("TILEDB_SSL_VERIFY", "maybe")
    with pytest.raises(
        ConfigurationError,
        match=r"^verify_ssl \(TILEDB_SSL_VERIFY\) must be true or false, not 'maybe'\.$",
    ):
        resolve()


# -- credentials ------------------------------------------------------------------------


def stored_profile(store: ProfileStore, kind: str, name: str = "default") -> str:
    """A profile whose secret of ``kind`` is in the vault; returns the secret."""
    from tiledb.client.secrets.base import secret_entry_key
    from tiledb.client.secrets.registry import get_backend

    secret = f"stored-{kind}-value"
    secret_id = f"{name} @ {store.path} [1234abcd]"
    get_backend("encrypted-file").set(secret_entry_key(secret_id, kind), secret)  # type: ignore[arg-type]
    store.save(
        name,
        {
            "rest.server_address": "https://h.example",
            "rest.username": "ada",
            "client.auth": kind,
            "client.secret_backend": "encrypted-file",
            "client.secret_id": secret_id,
        },
    )
    return secret


@pytest.mark.parametrize("kind", ["token", "password"])
def test_a_stored_secret_comes_from_its_backend(
    store: ProfileStore, vault: Path, kind: str
) -> None:
    secret = stored_profile(store, kind)
    settings = resolve()
    resolved = settings.token if kind == "token" else settings.password
    other = settings.password if kind == "token" else settings.token
    assert resolved is not None
    assert other is None
    assert resolved.text() == secret
    assert resolved.source == f"{profile_source(store)} via encrypted-file"
    assert settings.backend == "encrypted-file"
    assert settings.auth_kind == kind
    assert settings.shadowed == ()


def test_a_profile_naming_a_backend_without_a_secret_id(store: ProfileStore, vault: Path) -> None:
    store.save("default", {"client.secret_backend": "encrypted-file", "client.auth": "token"})
    with pytest.raises(
        ConfigurationError, match=r"names backend 'encrypted-file' but no secret id\.$"
    ) as caught:
        resolve()
    assert profile_source(store) in str(caught.value)


@pytest.mark.parametrize("kind", ["token", "password"])
def test_a_missing_stored_secret_says_how_to_store_it_again(
    store: ProfileStore, vault: Path, kind: str
) -> None:
    from tiledb.client.errors import SecretNotFoundError

    store.save(
        "prod",
        {
            "rest.username": "ada",
            "client.auth": kind,
            "client.secret_backend": "encrypted-file",
            "client.secret_id": "prod @ elsewhere [00000000]",
        },
    )
    with pytest.raises(SecretNotFoundError) as caught:
        settings = resolve("prod")
        resolved = settings.token or settings.password
        assert resolved is not None
        resolved.text()  # a password is read when it is needed
    assert str(caught.value) == (
        f"The {kind} of {profile_source(store, 'prod')} is missing from the 'encrypted-file'"
        " backend. Store it again with: tiledb-client configure --profile prod --overwrite"
    )


@pytest.mark.parametrize(
    ("arguments", "env", "token", "password", "source"),
    [
        ({"token": "arg-token"}, {"TILEDB_REST_TOKEN": "env-token"}, "arg-token", None, "argument"),
        ({"password": "arg-pw"}, {"TILEDB_REST_TOKEN": "env-token"}, None, "arg-pw", "argument"),
        ({"token": ""}, {"TILEDB_REST_TOKEN": "env-token"}, "env-token", None, "TILEDB_REST_TOKEN"),
        (
            {},
            {"TILEDB_REST_TOKEN": "env-token", "TILEDB_REST_PASSWORD": "env-pw"},
            "env-token",
            None,
            "TILEDB_REST_TOKEN",
        ),
        ({}, {"TILEDB_REST_PASSWORD": "env-pw"}, None, "env-pw", "TILEDB_REST_PASSWORD"),
        (
            {},
            {"TILEDB_REST_TOKEN": "", "TILEDB_REST_PASSWORD": "env-pw"},
            None,
            "env-pw",
            "TILEDB_REST_PASSWORD",
        ),
    ],
    ids=["arg-token", "arg-password", "empty-arg", "env-token-first", "env-password", "empty-env"],
)
def test_credentials_come_as_a_unit_from_the_highest_source(
    store: ProfileStore,
    vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: dict[str, str],
    env: dict[str, str],
    token: str | None,
    password: str | None,
    source: str,
) -> None:
    stored_profile(store, "token")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = resolve(arguments=arguments)
    assert (settings.token.value if settings.token else None) == token
    assert (settings.password.value if settings.password else None) == password
    resolved = settings.token or settings.password
    assert resolved is not None
    assert resolved.source == source
    assert settings.backend is None
    assert settings.shadowed == (
        f"{source} shadows the credentials stored in {profile_source(store)}",
    )


def test_no_shadow_without_stored_credentials(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save("default", {"rest.server_address": "https://h.example"})
    monkeypatch.setenv("TILEDB_REST_TOKEN", "env-token")
    settings = resolve()
    assert settings.shadowed == ()
    assert settings.token is not None
    assert settings.token.source == "TILEDB_REST_TOKEN"


@pytest.mark.parametrize(
    ("keys", "kind"),
    [
        ({"rest.token": "plain-tok", "rest.password": "plain-pw"}, "token"),
        ({"rest.password": "plain-pw", "rest.username": "ada"}, "password"),
    ],
)
def test_plaintext_credentials(
    store: ProfileStore,
    caplog: pytest.LogCaptureFixture,
    keys: dict[str, str],
    kind: str,
) -> None:
    store.save("legacy", keys)
    expected = (
        f"{profile_source(store, 'legacy')} keeps its rest.{kind} in plain text. Move it into a"
        " secret backend with: tiledb-client migrate --profile legacy"
    )
    with pytest.warns(PlaintextSecretWarning) as warned:
        settings = resolve("legacy")
    assert [str(w.message) for w in warned] == [expected]
    assert expected not in caplog.text  # a warning, not a log line too
    resolved = settings.token if kind == "token" else settings.password
    assert resolved is not None
    assert resolved.value == keys[f"rest.{kind}"]
    assert resolved.source == f"{profile_source(store, 'legacy')}, plain text"
    assert settings.backend is None
    assert settings.auth_kind == kind


def test_missing_credentials(store: ProfileStore) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve()
    assert str(caught.value).startswith(
        f"No credentials found: profile 'default' does not exist in {store.path}."
    )
    store.save("lab", {"rest.server_address": "https://h.example"})
    store.save("prod", {"rest.server_address": "https://h.example"})
    with pytest.raises(ConfigurationError) as caught:
        resolve()
    assert str(caught.value).startswith(  # issue 20, finding 8: which profiles there are
        f"No credentials found: profile 'default' does not exist in {store.path}"
        " (it has 'lab', 'prod')."
    )
    store.save("default", {"rest.server_address": "https://h.example"})
    with pytest.raises(ConfigurationError) as caught:
        resolve()
    assert str(caught.value).startswith(
        f"No credentials found in profile 'default' ({store.path})."
    )
    settings = resolve(require_credentials=False)
    assert settings.token is None
    assert settings.password is None
    assert settings.auth_kind == "password"


def test_password_without_username_names_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_PASSWORD", "pw")
    with pytest.raises(ConfigurationError) as caught:
        resolve()
    assert str(caught.value) == (
        "A password was found (TILEDB_REST_PASSWORD) but no username. "
        "Set TILEDB_REST_USERNAME, or configure the profile with a username."
    )
    assert resolve(require_credentials=False).password is not None
    monkeypatch.setenv("TILEDB_REST_USERNAME", "ada")
    assert resolve().username.value == "ada"


def test_rows_summary_and_reprs(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save("default", {"rest.server_address": "https://h.example", "ssl.ca_file": "/ca.pem"})
    monkeypatch.setenv("TILEDB_REST_USERNAME", "ada")
    monkeypatch.setenv("TILEDB_REST_PASSWORD", "a-long-password-value")
    monkeypatch.setenv("TILEDB_SSL_VERIFY", "no")
    settings = resolve(arguments={"workspace": "acme"})
    where = profile_source(store)
    assert settings.rows() == [
        ("host", "https://h.example", where),
        ("workspace", "acme", "argument"),
        ("username", "ada", "TILEDB_REST_USERNAME"),
        ("password", "****", "TILEDB_REST_PASSWORD"),
        ("verify_ssl", "False", "TILEDB_SSL_VERIFY"),
        ("ca_file", "/ca.pem", where),
    ]
    assert settings.summary() == (
        f"host from {where}; workspace from argument; username from TILEDB_REST_USERNAME;"
        f" password from TILEDB_REST_PASSWORD; verify_ssl from TILEDB_SSL_VERIFY;"
        f" ca_file from {where}"
    )
    text = repr(settings) + repr(settings.password) + str(settings)
    assert "a-long-password-value" not in text
    assert repr(settings.password) == "Resolved(source='TILEDB_REST_PASSWORD')"
    assert "profile=" not in repr(settings)
    long_token = "tok-ws_abc-0123456789abcdef"  # 27 characters: long enough to show a tail
    token = resolve(arguments={"token": long_token})
    assert ("token", "****def (27 chars)", "argument") in token.rows()
    password = resolve(arguments={"password": long_token, "username": "ada"})
    assert ("password", "****", "argument") in password.rows()  # no tail for a password


def test_an_environment_token_shadows_a_plaintext_password(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save("default", {"rest.username": "ada", "rest.password": "plain-pw"})
    monkeypatch.setenv("TILEDB_REST_TOKEN", "env-token")
    with pytest.warns(PlaintextSecretWarning):
        settings = resolve()
    assert settings.password is None
    assert settings.shadowed == (
        f"TILEDB_REST_TOKEN shadows the credentials stored in {profile_source(store)}",
    )


def test_an_explicit_profile_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = ProfileStore(tmp_path / "elsewhere")
    elsewhere.save("prod", {"rest.server_address": "https://prod.example", "rest.token": "t"})
    monkeypatch.setenv("TILEDB_PROFILE_DIR", str(tmp_path / "not-this-one"))
    with pytest.warns(PlaintextSecretWarning):
        settings = resolve("prod", tmp_path / "elsewhere")
    assert settings.profile_file == elsewhere.path
    assert settings.host.value == "https://prod.example"
    assert settings.profile_name == "prod"


def test_resolved_values_compare_by_value_and_source() -> None:
    from tiledb.client.session.settings import Resolved

    a = Resolved("x", "argument")
    assert a == Resolved("x", "argument")
    assert hash(a) == hash(Resolved("x", "argument"))
    assert a != Resolved("y", "argument")
    assert a != Resolved("x", "TILEDB_REST_WORKSPACE")
    assert a != "x"
    assert (a == "x") is False
    assert len({a, Resolved("x", "argument"), Resolved("x", "default")}) == 2


def test_setting_table_entries() -> None:
    from tiledb.client.session.settings import SETTINGS, Setting

    host = SETTINGS[0]
    assert (host.name, host.env, host.profile_key, host.secret, host.default) == (
        "host",
        "TILEDB_REST_SERVER_ADDRESS",
        "rest.server_address",
        False,
        "https://api.tiledb.com",
    )
    token = Setting("token", "TILEDB_REST_TOKEN", secret=True)
    assert (token.secret, token.default, token.profile_key) == (True, None, "rest.token")
    assert [s.name for s in SETTINGS if s.secret] == ["token", "password"]


def test_session_settings_compare_show_and_do_not_change(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "env-token-value")
    first, second = resolve(), resolve()
    assert first == second
    assert first != first._replace(backend="keyring")
    assert first._replace(backend="keyring").backend == "keyring"
    assert first != "settings"
    assert (first == "settings") is False
    with pytest.raises(AttributeError):
        first.host = first.workspace  # type: ignore[misc]
    assert repr(first) == (
        f"SessionSettings(profile_name='default', profile_path={str(store.path)!r},"
        " host=Resolved(source='default'), workspace=Resolved(source='default'),"
        " backend=None)"
    )
    assert "env-token-value" not in repr(first)


def test_rows_mask_a_stored_token(store: ProfileStore, vault: Path) -> None:
    stored_profile(store, "token")
    settings = resolve()
    assert ("token", "****", f"{profile_source(store)} via encrypted-file") in settings.rows()


@pytest.mark.parametrize(
    ("arguments", "env", "kind", "where"),
    [
        ({"token": "a\x01b"}, {}, "token", "the token argument"),
        ({"password": "a\x01b", "username": "ada"}, {}, "password", "the password argument"),
        ({}, {"TILEDB_REST_TOKEN": "a\x01b"}, "token", "TILEDB_REST_TOKEN"),
        (
            {},
            {"TILEDB_REST_PASSWORD": "a\x01b", "TILEDB_REST_USERNAME": "ada"},
            "password",
            "TILEDB_REST_PASSWORD",
        ),
    ],
    ids=["token-argument", "password-argument", "token-env", "password-env"],
)
def test_a_bad_secret_names_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
    arguments: dict[str, str],
    env: dict[str, str],
    kind: str,
    where: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        resolve(arguments=arguments)
    assert str(caught.value).startswith(
        f"The {kind} from {where} contains the control character U+0001 at character 2."
    )


@pytest.mark.parametrize("kind", ["token", "password"])
def test_a_bad_stored_secret_names_its_profile(store: ProfileStore, vault: Path, kind: str) -> None:
    from tiledb.client.secrets.base import secret_entry_key
    from tiledb.client.secrets.registry import get_backend

    stored_profile(store, kind)
    profile = store.get("default")
    assert profile is not None
    key = secret_entry_key(profile["client.secret_id"], kind)  # type: ignore[arg-type]
    get_backend("encrypted-file").set(key, "a\x01b")
    with pytest.raises(ConfigurationError) as caught:
        settings = resolve()
        resolved = settings.token or settings.password
        assert resolved is not None
        resolved.text()
    assert str(caught.value).startswith(
        f"The {kind} from {profile_source(store)} via encrypted-file contains the control"
        " character U+0001 at character 2."
    )
    assert "a\x01b" not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"TILEDB_REST_SERVER_ADDRESS": "ftp://h.example"},
            "The host from TILEDB_REST_SERVER_ADDRESS",
        ),
        ({"TILEDB_REST_WORKSPACE": "a\x01b"}, "The workspace from TILEDB_REST_WORKSPACE"),
    ],
    ids=["host", "workspace"],
)
def test_a_bad_value_names_its_source(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "t")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=re.escape(expected)):
        resolve()


def test_a_bad_plaintext_password_names_its_kind(store: ProfileStore) -> None:
    store.save("legacy", {"rest.username": "ada", "rest.password": "a\x01b"})
    with pytest.raises(ConfigurationError) as caught, pytest.warns(PlaintextSecretWarning):
        resolve("legacy")
    assert str(caught.value).startswith(
        f"The password from {profile_source(store, 'legacy')}, plain text contains the control"
        " character U+0001"
    )
