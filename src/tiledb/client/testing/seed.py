"""The data a local server starts with: users, workspaces and API tokens.

A :class:`Seed` is plain data and round-trips through JSON (see :meth:`Seed.from_dict`
and :meth:`Seed.to_dict`), so the same seed can be given to the Python API, to the
command line (``--seed FILE``) or to a server in another process.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "ROLES",
    "Role",
    "Seed",
    "SeedToken",
    "SeedUser",
    "SeedWorkspace",
    "format_time",
    "new_api_key",
    "new_id",
    "parse_time",
    "utcnow",
    "DEFAULT_USERNAME",
    "DEFAULT_PASSWORD",
    "DEFAULT_TOKEN",
    "DEFAULT_TOKEN_ID",
    "DEFAULT_WORKSPACE",
    "DEFAULT_WORKSPACE_ID",
    "OWNER_USERNAME",
    "OWNER_PASSWORD",
]

Role = Literal["owner", "admin", "member"]
ROLES: tuple[Role, ...] = ("owner", "admin", "member")

DEFAULT_USERNAME = "ada"
DEFAULT_PASSWORD = "analytical-engine-1843"
DEFAULT_WORKSPACE = "acme"
DEFAULT_WORKSPACE_ID = "ws_2b7c9d1e3f4a5b6c"
DEFAULT_TOKEN = "tdblocal0ada-ws_2b7c9d1e3f4a5b6c-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DEFAULT_TOKEN_ID = "tok_1a2b3c4d5e6f7a8b"
OWNER_USERNAME = "owner"
OWNER_PASSWORD = "difference-engine-1822"


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def format_time(moment: datetime) -> str:
    """Format ``moment`` as ISO 8601 in UTC with a ``Z`` suffix (``2025-07-01T09:00:00Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; ``Z`` and naive values are taken as UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def new_id(prefix: str) -> str:
    """Return a fresh identifier such as ``ws_`` followed by 16 hex digits."""
    return prefix + secrets.token_hex(8)


def new_api_key(workspace_id: str) -> str:
    """Return a fresh API key ``<random>-<workspace_id>-<random>`` naming its workspace."""
    return f"tdb{secrets.token_hex(5)}-{workspace_id}-{secrets.token_hex(16)}"


def _role(value: object, what: str) -> Role:
    if value not in ROLES:
        raise ValueError(f"{what}: role must be one of {', '.join(ROLES)}, not {value!r}")
    return value


@dataclass
class SeedUser:
    """A user of the deployment; ``role`` is the deployment role.

    A user without a password can only authenticate with API tokens.
    """

    username: str
    password: str | None = None
    id: str = field(default_factory=lambda: new_id("usr_"))
    display_name: str = ""
    email: str = ""
    role: Role = "member"
    timezone: str = "UTC"
    created_at: str = field(default_factory=lambda: format_time(utcnow()))
    updated_at: str = ""

    def __post_init__(self) -> None:
        self.updated_at = self.updated_at or self.created_at
        if not self.username or ":" in self.username:
            raise ValueError(f"invalid username {self.username!r} (empty or contains ':')")
        self.role = _role(self.role, f"user {self.username!r}")
        self.display_name = self.display_name or self.username
        self.email = self.email or f"{self.username}@example.com"


@dataclass
class SeedWorkspace:
    """A workspace; ``members`` maps usernames to workspace roles.

    ``joined`` optionally maps usernames to when they joined (default: the later of the
    user's and the workspace's creation).
    """

    name: str
    id: str = field(default_factory=lambda: new_id("ws_"))
    description: str = ""
    created_by: str = ""
    members: dict[str, Role] = field(default_factory=dict)
    joined: dict[str, str] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: format_time(utcnow()))
    updated_at: str = ""

    def __post_init__(self) -> None:
        if not self.name or self.name.startswith("ws_"):
            raise ValueError(f"invalid workspace name {self.name!r}")
        if not self.id.startswith("ws_") or "-" in self.id:
            raise ValueError(f"workspace id must look like ws_<hex>, not {self.id!r}")
        self.members = {
            user: _role(role, f"workspace {self.name!r}") for user, role in self.members.items()
        }
        if not self.created_by and self.members:
            owners = [user for user, role in self.members.items() if role == "owner"]
            self.created_by = (owners or list(self.members))[0]
        self.updated_at = self.updated_at or self.created_at


@dataclass
class SeedToken:
    """An API token; ``expires_at`` ``None`` means it never expires.

    ``kind`` is what ``GET /v4/tokens?type=`` filters on: ``"session"`` for a token
    minted with a password (HTTP Basic), ``"api"`` otherwise.
    """

    api_key: str
    user: str
    workspace_id: str | None = None
    token_id: str = field(default_factory=lambda: new_id("tok_"))
    name: str = "api-token"
    scope: str = "*"
    created_at: str = field(default_factory=lambda: format_time(utcnow()))
    expires_at: str | None = None
    kind: str = "api"

    def __post_init__(self) -> None:
        if not self.api_key or any(ch.isspace() for ch in self.api_key):
            raise ValueError(f"token {self.token_id}: the api_key must be non-empty, no spaces")
        if self.expires_at is not None:
            parse_time(self.expires_at)

    def named_workspace(self) -> str | None:
        """Return the workspace id the api_key names (``a-ws_x-b``), if it names one."""
        parts = self.api_key.split("-")
        if len(parts) == 3 and parts[1].startswith("ws_"):
            return parts[1]
        return None


def _build(cls: type[Any], data: Mapping[str, Any], what: str) -> Any:
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{what}: unknown keys {unknown} (known: {sorted(known)})")
    return cls(**data)


@dataclass
class Seed:
    """Users, workspaces and tokens for a local server."""

    users: list[SeedUser] = field(default_factory=list)
    workspaces: list[SeedWorkspace] = field(default_factory=list)
    tokens: list[SeedToken] = field(default_factory=list)

    @classmethod
    def default(cls) -> Seed:
        """Return the default seed, mirroring the examples of ``protocol/*.json``.

        Users ``ada`` (:data:`DEFAULT_PASSWORD`) and ``owner`` (:data:`OWNER_PASSWORD`);
        workspace ``acme`` (both members, ``ada`` is admin) and ``lab`` (owner only); and
        :data:`DEFAULT_TOKEN`, an API token of ``ada`` naming ``acme``.
        """
        owner = SeedUser(
            OWNER_USERNAME,
            OWNER_PASSWORD,
            id="usr_0000000000000001",
            display_name="Org Owner",
            role="owner",
            created_at="2024-12-01T00:00:00Z",
        )
        ada = SeedUser(
            DEFAULT_USERNAME,
            DEFAULT_PASSWORD,
            id="usr_9f1c2a7e4b8d4c0e",
            display_name="Ada Lovelace",
            timezone="Europe/London",
            created_at="2025-01-15T10:20:30Z",
            updated_at="2025-06-01T08:00:00Z",
        )
        acme = SeedWorkspace(
            DEFAULT_WORKSPACE,
            id=DEFAULT_WORKSPACE_ID,
            description="ACME research workspace",
            created_by=OWNER_USERNAME,
            members={OWNER_USERNAME: "owner", DEFAULT_USERNAME: "admin"},
            joined={DEFAULT_USERNAME: "2025-01-15T10:21:00Z"},
            created_at="2024-12-01T00:00:00Z",
            updated_at="2025-05-05T12:00:00Z",
        )
        lab = SeedWorkspace(
            "lab",
            id="ws_7e8f9a0b1c2d3e4f",
            description="The owner's private workspace",
            members={OWNER_USERNAME: "owner"},
            created_at="2024-12-01T00:00:00Z",
        )
        token = SeedToken(
            DEFAULT_TOKEN,
            DEFAULT_USERNAME,
            DEFAULT_WORKSPACE_ID,
            token_id=DEFAULT_TOKEN_ID,
            name="local-server-default",
            created_at="2025-07-01T09:00:00Z",
            expires_at="2099-12-31T00:00:00Z",
        )
        return cls([owner, ada], [acme, lab], [token])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Seed:
        """Build a seed from its JSON form, validating names and references."""
        unknown = sorted(set(data) - {"users", "workspaces", "tokens"})
        if unknown:
            raise ValueError(f"seed: unknown keys {unknown}")
        seed = cls(
            [_build(SeedUser, u, "seed user") for u in data.get("users", [])],
            [_build(SeedWorkspace, w, "seed workspace") for w in data.get("workspaces", [])],
            [_build(SeedToken, t, "seed token") for t in data.get("tokens", [])],
        )
        seed.validate()
        return seed

    @classmethod
    def load(cls, source: str | os.PathLike[str]) -> Seed:
        """Read a seed from a JSON file, or from standard input when ``source`` is ``-``."""
        from_stdin = str(source) == "-"
        text = sys.stdin.read() if from_stdin else Path(source).read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"seed {source}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError(f"seed {source}: expected a JSON object")  # noqa: TRY004
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (it contains passwords and API keys)."""
        return {
            "users": [asdict(u) for u in self.users],
            "workspaces": [asdict(w) for w in self.workspaces],
            "tokens": [asdict(t) for t in self.tokens],
        }

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the JSON form to ``path``, readable by the owner only (mode 0600)."""
        target = Path(path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=2)
            handle.write("\n")
        target.chmod(0o600)
        return target

    def validate(self) -> None:
        """Check uniqueness and that every reference names a known user or workspace.

        Raises
        ------
        ValueError
            Describing the first problem found.
        """
        names = [u.username for u in self.users]
        _unique(names, "username")
        _unique([u.id for u in self.users], "user id")
        _unique([w.name for w in self.workspaces], "workspace name")
        _unique([w.id for w in self.workspaces], "workspace id")
        _unique([t.api_key for t in self.tokens], "api_key")
        _unique([t.token_id for t in self.tokens], "token_id")
        workspace_ids = {w.id for w in self.workspaces}
        for ws in self.workspaces:
            for user in [*ws.members, *([ws.created_by] if ws.created_by else [])]:
                if user not in names:
                    raise ValueError(f"workspace {ws.name!r}: unknown user {user!r}")
        for tok in self.tokens:
            if tok.user not in names:
                raise ValueError(f"token {tok.token_id}: unknown user {tok.user!r}")
            named = tok.named_workspace()
            if tok.workspace_id is None:
                tok.workspace_id = named
            if tok.workspace_id is not None and tok.workspace_id not in workspace_ids:
                raise ValueError(f"token {tok.token_id}: unknown workspace {tok.workspace_id!r}")
            if named is not None and named != tok.workspace_id:
                raise ValueError(f"token {tok.token_id}: its api_key names another workspace")


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"seed: duplicate {what} {value!r}")
        seen.add(value)
