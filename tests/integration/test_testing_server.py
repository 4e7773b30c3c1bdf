"""The bundled local server ``tiledb.client.testing``: HTTP, TLS, CLI and TileDB core."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from cryptography import x509
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import tiledb
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_TOKEN_ID,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_ID,
    OWNER_PASSWORD,
    LocalServer,
    Seed,
    ServerProcess,
)

SRC = Path(__file__).resolve().parents[2] / "src"
KEY = "X-TILEDB-REST-API-KEY"
ADA = (DEFAULT_USERNAME, DEFAULT_PASSWORD)
API_KEY_RE = re.compile(r"^[^-\s]+-(ws_[0-9a-f]{16})-[^-\s]+$")

# The protocol example users_self.json; the default seed answers exactly this.
MEMBER_OWNER = {
    "user_id": "usr_0000000000000001", "username": "owner", "display_name": "Org Owner",
    "email": "owner@example.com", "image_id": None, "role": "owner",
    "added_by": "usr_0000000000000001", "created_at": "2024-12-01T00:00:00Z",
}  # fmt: skip
ACME = {
    "workspace_id": "ws_2b7c9d1e3f4a5b6c", "image_id": None, "name": "acme",
    "created_by": MEMBER_OWNER, "description": "ACME research workspace",
    "self": {
        "user_id": "usr_9f1c2a7e4b8d4c0e", "username": "ada", "display_name": "Ada Lovelace",
        "email": "ada@example.com", "image_id": None, "role": "admin",
        "added_by": "usr_0000000000000001", "created_at": "2025-01-15T10:21:00Z",
    },
    "created_at": "2024-12-01T00:00:00Z", "updated_at": "2025-05-05T12:00:00Z",
}  # fmt: skip
ADA_USER = {
    "id": "usr_9f1c2a7e4b8d4c0e", "display_name": "Ada Lovelace", "image_id": None,
    "email": "ada@example.com", "is_valid_email": True, "role": "member", "username": "ada",
    "timezone": "Europe/London", "created_at": "2025-01-15T10:20:30Z",
    "updated_at": "2025-06-01T08:00:00Z",
}  # fmt: skip


def get(server: LocalServer, path: str, **kwargs: object) -> requests.Response:
    return requests.get(server.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def token(value: str = DEFAULT_TOKEN, name: str = KEY) -> dict[str, str]:
    return {name: value}


def assert_error(response: requests.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["errorCode"] == status
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


# -- REST v4 endpoints -----------------------------------------------------------------


def test_users_self_matches_protocol_example(local_server: LocalServer) -> None:
    response = get(local_server, "/v4/users/self", headers=token())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"data": {"user": ADA_USER, "workspaces": [ACME]}}


@pytest.mark.parametrize("header", [KEY, "X-TILEDB-REST-API-Key", "x-tiledb-rest-api-key"])
def test_token_header_name_is_case_insensitive(local_server: LocalServer, header: str) -> None:
    assert get(local_server, "/v4/users/self", headers=token(name=header)).status_code == 200
    (record,) = local_server.requests
    assert record.headers[KEY] == DEFAULT_TOKEN
    assert record.headers.raw_name(KEY) == header
    assert record.username == DEFAULT_USERNAME
    assert record.auth is not None
    assert record.auth.token_id == DEFAULT_TOKEN_ID


def test_basic_auth(local_server: LocalServer) -> None:
    response = get(local_server, "/v4/users/self", auth=("owner", OWNER_PASSWORD))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["user"]["username"] == "owner"
    assert data["user"]["role"] == "owner"
    assert [ws["name"] for ws in data["workspaces"]] == ["acme", "lab"]
    assert str(local_server.requests[0].auth) == "basic:owner"


@pytest.mark.parametrize("ref", [DEFAULT_WORKSPACE, DEFAULT_WORKSPACE_ID])
def test_workspace_by_name_and_id(local_server: LocalServer, ref: str) -> None:
    response = get(local_server, f"/v4/workspaces/{ref}", auth=ADA)
    assert response.status_code == 200
    assert response.json() == {"data": ACME}


@pytest.mark.parametrize("ref", ["lab", "ws_7e8f9a0b1c2d3e4f", "nope", "ws_0000000000000000"])
def test_workspace_unknown_or_not_member_is_404(local_server: LocalServer, ref: str) -> None:
    assert_error(get(local_server, f"/v4/workspaces/{ref}", headers=token()), 404)


@pytest.mark.parametrize(
    ("headers", "auth"),
    [
        ({}, None),
        (token("not-a-token"), None),
        (token(""), None),
        ({}, ("ada", "wrong")),
        ({}, ("nobody", "x")),
        ({"Authorization": "Basic !!!notbase64"}, None),
        ({"Authorization": "Bearer " + DEFAULT_TOKEN}, None),
        (token("bad"), ADA),  # an API key header wins over Basic
    ],
)
def test_bad_credentials_are_401(
    local_server: LocalServer, headers: dict[str, str], auth: tuple[str, str] | None
) -> None:
    for path in ("/v4/users/self", "/v4/workspaces/acme", "/v1/arrays/acme/x"):
        assert_error(get(local_server, path, headers=headers, auth=auth), 401)


def test_token_create_and_revoke(local_server: LocalServer) -> None:
    body = {"name": "login-session-1", "scope": "*", "workspace_id": DEFAULT_WORKSPACE_ID}
    response = requests.post(local_server.url + "/v4/tokens", json=body, auth=ADA, timeout=10)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {
        "token_id",
        "name",
        "created_at",
        "expires_at",
        "api_key",
        "workspace_id",
        "scope",
    }
    assert data["name"] == "login-session-1"
    assert data["scope"] == "*"
    assert data["workspace_id"] == DEFAULT_WORKSPACE_ID
    match = API_KEY_RE.match(data["api_key"])
    assert match is not None
    assert match.group(1) == DEFAULT_WORKSPACE_ID
    assert re.fullmatch(r"tok_[0-9a-f]{16}", data["token_id"])
    expires = datetime.strptime(data["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    delta = expires.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)
    assert timedelta(days=29) < delta <= timedelta(days=30)
    new = data["api_key"]
    assert get(local_server, "/v4/users/self", headers=token(new)).status_code == 200
    info = {t.token_id: t for t in local_server.tokens}[data["token_id"]]
    assert info.active
    assert info.username == DEFAULT_USERNAME

    # another user may not revoke it; unknown ids are 404
    url = local_server.url + "/v4/tokens/"
    owner = ("owner", OWNER_PASSWORD)
    assert_error(requests.delete(url + data["token_id"], auth=owner, timeout=10), 403)
    assert_error(requests.delete(url + "tok_0000000000000000", auth=ADA, timeout=10), 404)
    # the owner revokes it with the token itself: 204, then 401 everywhere
    revoked = requests.delete(url + data["token_id"], headers=token(new), timeout=10)
    assert revoked.status_code == 204
    assert revoked.content == b""
    for path in ("/v4/users/self", "/v4/workspaces/acme", "/v4/capabilities"):
        body401 = assert_error(get(local_server, path, headers=token(new)), 401)
        assert "revoked" in str(body401["message"])
    assert not {t.token_id: t for t in local_server.tokens}[data["token_id"]].active
    assert_error(requests.delete(url + data["token_id"], auth=ADA, timeout=10), 404)
    # the default token is untouched
    assert get(local_server, "/v4/users/self", headers=token()).status_code == 200


def test_tokens_are_listed_by_kind_without_their_keys(local_server: LocalServer) -> None:
    url = local_server.url + "/v4/tokens"
    minted = requests.post(
        url, json={"name": "login-session-2", "workspace_id": "acme"}, auth=ADA, timeout=10
    )
    minted.raise_for_status()  # a password mints a session token
    by_key = requests.post(url, json={"name": "job-1"}, headers=token(), timeout=10).json()
    pages = []
    for kind in ("session", "api"):
        answer = get(local_server, f"/v4/tokens?type={kind}&per_page=1", headers=token())
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
    session, api = pages
    assert [t["name"] for t in session["data"]] == ["login-session-2"]
    assert session["pagination_metadata"] == {
        "page": 1, "per_page": 1, "total_pages": 1, "total_items": 1,
    }  # fmt: skip
    assert api["pagination_metadata"]["total_items"] == 2  # the seed's token and job-1
    second = get(local_server, "/v4/tokens?type=api&per_page=1&page=2", headers=token()).json()
    assert {api["data"][0]["name"], second["data"][0]["name"]} == {
        "local-server-default", by_key["data"]["name"],
    }  # fmt: skip
    assert all("api_key" not in t for t in session["data"] + api["data"] + second["data"])
    assert_error(get(local_server, "/v4/tokens?type=other", headers=token()), 400)
    requests.delete(url + "/" + by_key["data"]["token_id"], headers=token(), timeout=10)
    listed = get(local_server, "/v4/tokens?type=api", headers=token()).json()["data"]
    assert [t["name"] for t in listed] == ["local-server-default"]  # revoked ones are gone


def test_a_token_lifetime_cap_shortens_what_is_asked() -> None:
    with LocalServer(max_token_ttl=timedelta(seconds=3)) as server:
        later = (datetime.now(timezone.utc) + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"name": "s", "expires_at": later, "workspace_id": "acme"}
        data = requests.post(server.url + "/v4/tokens", json=body, auth=ADA, timeout=10).json()
    expires = datetime.strptime(data["data"]["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    left = expires.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)
    assert timedelta(seconds=1) < left <= timedelta(seconds=3)


def test_token_create_with_token_auth_defaults_to_its_workspace(local_server: LocalServer) -> None:
    response = requests.post(local_server.url + "/v4/tokens", headers=token(), timeout=10)
    assert response.status_code == 200
    assert response.json()["data"]["workspace_id"] == DEFAULT_WORKSPACE_ID


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"workspace_id": 5}', 400),
        (b'{"workspace_id": "acme", "expires_at": "yesterday"}', 400),
        (b'{"workspace_id": "acme", "expires_at": "2001-01-01T00:00:00Z"}', 400),
        (b'{"name": "x"}', 400),  # Basic auth names no workspace
        (b'{"workspace_id": "lab"}', 404),  # not a member
    ],
)
def test_token_create_bad_requests(local_server: LocalServer, body: bytes, status: int) -> None:
    url = local_server.url + "/v4/tokens"
    assert_error(requests.post(url, data=body, auth=ADA, timeout=10), status)
    assert [t.token_id for t in local_server.tokens] == [DEFAULT_TOKEN_ID]


def test_wrong_method_and_unknown_endpoint(local_server: LocalServer) -> None:
    response = requests.put(local_server.url + "/v4/users/self", headers=token(), timeout=10)
    assert_error(response, 405)
    assert response.headers["Allow"] == "GET"
    assert_error(requests.put(local_server.url + "/v4/tokens", auth=ADA, timeout=10), 405)
    for path in ("/v4/capabilities", "/v1/arrays/acme/ts%2Farr", "/v3/x", "/"):
        assert_error(get(local_server, path, headers=token()), 404)


def test_expired_token_is_401(local_server: LocalServer) -> None:
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    info = local_server.add_token("ada", "acme", expires_at=past)
    assert info.expired
    assert not info.active
    body = assert_error(get(local_server, "/v4/users/self", headers=token(info.api_key)), 401)
    assert "expired" in str(body["message"])


def test_runtime_users_workspaces_and_tokens(local_server: LocalServer) -> None:
    local_server.add_user("bob", "bob-pw", role="admin", workspaces={"acme": "member"})
    local_server.add_workspace("team", members={"bob": "owner", "ada": "member"})
    info = local_server.add_token("bob", "team", scope="array:read")
    assert API_KEY_RE.match(info.api_key)
    data = get(local_server, "/v4/users/self", headers=token(info.api_key)).json()["data"]
    assert data["user"]["role"] == "admin"
    assert {ws["name"]: ws["self"]["role"] for ws in data["workspaces"]} == {
        "acme": "member",
        "team": "owner",
    }
    team = get(local_server, "/v4/workspaces/team", auth=ADA).json()["data"]
    assert team["created_by"]["username"] == "bob"
    local_server.revoke_token(info.token_id)
    assert_error(get(local_server, "/v4/users/self", headers=token(info.api_key)), 401)
    with pytest.raises(ValueError, match="duplicate username"):
        local_server.add_user("bob")


def test_recording_and_fail_next(local_server: LocalServer) -> None:
    session = requests.Session()
    retry = Retry(total=3, backoff_factor=0, status_forcelist=[503], allowed_methods=None)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    local_server.fail_next(503, count=2)
    response = session.post(
        local_server.url + "/v4/tokens?x=1", json={"name": "n"}, headers=token(), timeout=10
    )
    assert response.status_code == 200
    records = local_server.requests
    assert [r.status for r in records] == [503, 503, 200]
    assert all(r.method == "POST" and r.route == "/v4/tokens" for r in records)
    assert records[-1].json() == {"name": "n"}
    assert records[-1].headers["content-type"] == "application/json"
    assert DEFAULT_TOKEN not in repr(records[-1])
    assert DEFAULT_TOKEN not in json.dumps(records[-1].to_json())
    local_server.clear_requests()
    assert local_server.requests == []


def test_record_file_is_masked(tmp_path: Path) -> None:
    record = tmp_path / "requests.jsonl"
    with LocalServer(record_file=record) as server:
        get(server, "/v4/users/self", headers=token())
        get(server, "/v4/users/self", auth=ADA)
        requests.post(server.url + "/v1/x?api_key=" + DEFAULT_TOKEN, data=DEFAULT_TOKEN, timeout=9)
    text = record.read_text()
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert DEFAULT_TOKEN not in text
    assert DEFAULT_PASSWORD not in text
    assert base64.b64encode(f"ada:{DEFAULT_PASSWORD}".encode()).decode() not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["status"] for line in lines] == [200, 200, 401]
    assert [KEY, "<masked>"] in lines[0]["headers"]
    assert ["Authorization", "Basic <masked>"] in lines[1]["headers"]
    assert lines[1]["auth"]["username"] == "ada"
    assert lines[2]["path"] == "/v1/x?api_key=<masked>"
    assert lines[2]["body_size"] == len(DEFAULT_TOKEN)


def test_concurrent_requests_and_stop_closes_connections() -> None:
    server = LocalServer().start()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                assert get(server, "/v4/users/self", headers=token()).status_code == 200
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(server.requests) == 40
    session = requests.Session()
    assert session.get(server.url + "/v4/users/self", auth=ADA, timeout=10).ok
    url = server.url
    server.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(url + "/v4/users/self", auth=ADA, timeout=5)


# -- seed ------------------------------------------------------------------------------


def test_seed_round_trip_and_validation(tmp_path: Path) -> None:
    seed = Seed.default()
    assert Seed.from_dict(json.loads(json.dumps(seed.to_dict()))) == seed
    path = seed.write(tmp_path / "seed.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Seed.load(path) == seed
    bad = seed.to_dict()
    bad["workspaces"][0]["members"]["ghost"] = "member"
    with pytest.raises(ValueError, match="unknown user 'ghost'"):
        Seed.from_dict(bad)
    bad = seed.to_dict()
    bad["tokens"][0]["api_key"] = "a-ws_7e8f9a0b1c2d3e4f-b"
    with pytest.raises(ValueError, match="names another workspace"):
        Seed.from_dict(bad)
    with pytest.raises(ValueError, match="role"):
        Seed.from_dict({"users": [{"username": "x", "role": "boss"}]})
    with pytest.raises(ValueError, match="unknown keys"):
        Seed.from_dict({"users": [{"username": "x", "pasword": "typo"}]})


# -- TLS -------------------------------------------------------------------------------


def test_tls_with_and_without_the_ca(local_tls_server: LocalServer) -> None:
    assert local_tls_server.url.startswith("https://127.0.0.1:")
    ca = str(local_tls_server.ca_file)
    response = get(local_tls_server, "/v4/users/self", headers=token(), verify=ca)
    assert response.status_code == 200
    localhost = local_tls_server.url.replace("127.0.0.1", "localhost") + "/v4/users/self"
    assert requests.get(localhost, headers=token(), verify=ca, timeout=10).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        get(local_tls_server, "/v4/users/self", headers=token())
    folder = local_tls_server.ca_file.parent
    cert = x509.load_pem_x509_certificate((folder / "server-cert.pem").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert stat.S_IMODE((folder / "server-key.pem").stat().st_mode) == 0o600


# -- TileDB core -----------------------------------------------------------------------


@pytest.fixture
def core_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Core 2.30 refuses every Ctx when $TILEDB_PROFILE_DIR (set by conftest) holds no
    # "default" profile: "Failed to load the REST profile". HOME is a temp dir anyway.
    monkeypatch.delenv("TILEDB_PROFILE_DIR", raising=False)


def core_ctx(url: str) -> tiledb.Ctx:
    return tiledb.Ctx({"rest.server_address": url, "rest.token": DEFAULT_TOKEN})


@pytest.mark.usefixtures("core_env")
def test_tiledb_core_sends_the_token(local_server_process: ServerProcess) -> None:
    ctx = core_ctx(local_server_process.url)
    with pytest.raises(tiledb.TileDBError, match="404"):
        tiledb.ArraySchema.load("tiledb://acme/ts/arr", ctx=ctx)  # keeps the GIL: a process
    with pytest.raises(tiledb.TileDBError, match="404"):
        tiledb.open("tiledb://acme/ts/arr", ctx=ctx)
    records = local_server_process.requests
    routes = [(r.method, r.route) for r in records]
    assert ("GET", "/v4/capabilities") in routes
    assert ("GET", "/v1/arrays/acme/ts/arr") in routes
    assert any(m == "POST" and p.startswith("/v2/arrays/acme/ts/arr") for m, p in routes)
    for record in records:
        assert KEY in record.headers  # case-insensitive: core sends X-TILEDB-REST-API-Key
        assert record.auth is not None
        assert record.auth.token_id == DEFAULT_TOKEN_ID  # the exact token reached the server
        assert record.username == DEFAULT_USERNAME
        assert record.status == 404
    log = local_server_process.log_text()
    assert DEFAULT_TOKEN not in log
    assert f"auth=token:ada:{DEFAULT_TOKEN_ID}" in log


@pytest.mark.usefixtures("core_env")
def test_tiledb_core_over_tls(local_tls_server_process: ServerProcess) -> None:
    server = local_tls_server_process
    trusted = tiledb.Ctx(
        {
            "rest.server_address": server.url,
            "rest.token": DEFAULT_TOKEN,
            "ssl.ca_file": str(server.ca_file),
        }
    )
    with pytest.raises(tiledb.TileDBError, match="404"):
        tiledb.open("tiledb://acme/ts/arr", ctx=trusted)
    assert any(r.route.startswith("/v2/arrays/") for r in server.requests)
    count = len(server.requests)
    with pytest.raises(tiledb.TileDBError):  # core does not trust the CA: fails fast
        tiledb.open("tiledb://acme/ts/arr2", ctx=core_ctx(server.url))
    assert len(server.requests) == count
    hint = "closed a TLS connection without a request (does the client trust the CA file?)"
    deadline = time.monotonic() + 5
    while hint not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hint in server.log_text()


# -- command line ----------------------------------------------------------------------


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[str]:
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join([str(SRC), full_env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "tiledb.client.testing", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        cwd=cwd,
    )


def test_cli_serves_logs_masked_and_stops_on_sigterm(tmp_path: Path) -> None:
    url_file = tmp_path / "url.txt"
    # The CA file given relative, as people type it: it is printed by its absolute path.
    proc = run_cli(
        "--port", "0", "--tls", "--ca-file", "./ca.pem", "--url-file", str(url_file), cwd=tmp_path
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", url)
        assert proc.stdout.readline().strip() == f"CA file: {tmp_path / 'ca.pem'}"
        assert url_file.read_text().splitlines() == [url, str(tmp_path / "ca.pem")]
        ca = str(tmp_path / "ca.pem")
        sess = requests.Session()  # verify= per call: $REQUESTS_CA_BUNDLE beats sess.verify
        assert sess.get(url + "/v4/users/self", headers=token(), verify=ca, timeout=10).ok
        assert sess.get(url + "/v4/users/self", auth=ADA, verify=ca, timeout=10).ok
        bad = base64.b64encode(b"ada:" + DEFAULT_PASSWORD.encode() + b"x").decode()
        basic = {"Authorization": "Basic " + bad}
        sess.get(url + "/v4/users/self", headers=basic, verify=ca, timeout=10)
        sess.get(url + "/v1/arrays/a/b?token=" + DEFAULT_TOKEN, headers=token(), verify=ca)
        created = sess.post(url + "/v4/tokens", json={}, headers=token(), verify=ca).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0
    for secret in (DEFAULT_TOKEN, DEFAULT_PASSWORD, bad, created["data"]["api_key"]):
        assert secret not in stderr
    assert f"GET /v4/users/self 200 auth=token:ada:{DEFAULT_TOKEN_ID}" in stderr
    assert "GET /v4/users/self 200 auth=basic:ada" in stderr
    assert "auth=basic:rejected(bad username or password)" in stderr
    assert "token=%3Cmasked%3E" in stderr or "token=<masked>" in stderr


def test_cli_seed_from_flags_and_sigint(tmp_path: Path) -> None:
    seed_file = tmp_path / "written.json"
    (tmp_path / "tok").write_text("bob0token0from0a0file\n")
    proc = run_cli(
        "--user", "bob:env:BOB_PW:admin", "--user", "carol", "--workspace", "team",
        "--workspace", "ws2:carol=owner", "--token", "bob=file:" + str(tmp_path / "tok"),
        "--token", "carol@ws2", "--write-seed", str(seed_file), "--quiet",
        env={"BOB_PW": "bob-secret"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        seed = json.loads(seed_file.read_text())
        assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
        assert [u["username"] for u in seed["users"]] == ["bob", "carol"]
        team = seed["workspaces"][0]
        assert team["members"] == {"bob": "owner", "carol": "member"}
        assert seed["tokens"][0]["api_key"] == "bob0token0from0a0file"
        assert seed["tokens"][0]["workspace_id"] == team["id"]  # bob's first workspace
        carol_pw = seed["users"][1]["password"]
        assert len(carol_pw) >= 12  # generated
        me = requests.get(url + "/v4/users/self", auth=("bob", "bob-secret"), timeout=10)
        assert me.json()["data"]["user"]["role"] == "admin"
        carol_key = seed["tokens"][1]["api_key"]
        ws2 = requests.get(url + "/v4/workspaces/ws2", headers=token(carol_key), timeout=10)
        assert ws2.json()["data"]["self"]["role"] == "owner"
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert stderr == ""  # --quiet, and no literal secret on the command line


def test_cli_print_seed_and_errors() -> None:
    proc = run_cli("--print-seed")
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert Seed.from_dict(json.loads(stdout)) == Seed.default()
    proc = run_cli("--user", "bob:literal-pw", "--token", "nobody", "--print-seed")
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "visible in `ps`" in stderr
    assert "nobody" in stderr
