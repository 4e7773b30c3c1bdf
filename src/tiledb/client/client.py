"""TileDB client and supporting methods, such as login().

Examples
--------
>>> tiledb.client.login(profile_name=PROFILE_NAME)
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

from tiledb.client.basics.retry_modes import RetryMode, RetryOrStr
from tiledb.client.errors import ClientError, ConfigurationError, LoginError

# Everything else loads on first use, so that ``import tiledb.client`` stays cheap.
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from concurrent import futures
    from datetime import timedelta

    from tiledb.client.basics.models import User, UserSelfWorkspace, Workspace
    from tiledb.client.basics.tls import Tls
    from tiledb.client.session.session import Session
    from tiledb.client.transport.rest import BasicAuth, RestClient

__all__ = [
    "Client",
    "ClientError",
    "ConfigurationError",
    "LoginError",
    "RetryMode",
    "Workspace",
    "Config",
    "Ctx",
    "build",
    "child_env",
    "client",
    "configure",
    "default_user",
    "get_self_user",
    "get_user",
    "get_user_workspaces",
    "get_workspace",
    "get_workspace_id",
    "login",
    "logout",
]


def __getattr__(name: str) -> Any:
    if name == "Workspace":
        from tiledb.client.basics.models import Workspace

        return Workspace
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _current() -> Session:
    from tiledb.client.session import current

    return current.current(client)


_T = TypeVar("_T")


class Client:
    """TileDB Client.

    How requests are made; the credentials come from the current session.

    Parameters
    ----------
    pool_threads : int, optional
        Threads for HTTP requests and connections per host; default ``min(32, os.cpu_count() + 4)``.
    retry_mode : RetryMode or str
        ``"default"``, ``"forceful"`` or ``"disabled"`` ([HTTP](#http)).
    """

    def __init__(
        self, pool_threads: int | None = None, retry_mode: RetryOrStr = RetryMode.DEFAULT
    ) -> None:
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._threads = pool_threads
        self._mode = RetryMode.maybe_from(retry_mode)
        self._executor: futures.ThreadPoolExecutor | None = None
        self._rest: tuple[Session, RestClient] | None = None

    def __repr__(self) -> str:
        return f"Client(pool_threads={self.pool_size}, retry_mode={self._mode.value!r})"

    @property
    def pool_size(self) -> int:
        """Threads in the pool, and connections kept per host."""
        from tiledb.client.transport.rest import default_pool_size

        return self._threads or default_pool_size()

    @property
    def mode(self) -> RetryMode:
        """The retry mode in effect."""
        return self._mode

    def build(self, builder: Callable[[RestClient], _T]) -> _T:
        """Builds an API client with the given config.

        Parameters
        ----------
        builder : callable
            Called with the current session's REST client (``transport.rest.RestClient``).
        """
        return builder(self.rest_client())

    def retry_mode(self, mode: RetryOrStr = RetryMode.DEFAULT) -> None:
        """Sets how we should retry requests and updates API instances."""
        new_mode = RetryMode.maybe_from(mode)
        with self._lock:
            self._mode = new_mode
            dropped, self._rest = self._rest, None
        _close(dropped)

    def set_default_retries(self) -> None:
        """Retry on HTTP 503 only (the default mode); same as ``retry_mode("default")``."""
        self.retry_mode(RetryMode.DEFAULT)

    def set_forceful_retries(self) -> None:
        """Also retry on HTTP 400, 500, 501 and 502; same as ``retry_mode("forceful")``."""
        self.retry_mode(RetryMode.FORCEFUL)

    def set_disable_retries(self) -> None:
        """Never retry; same as ``retry_mode("disabled")``."""
        self.retry_mode(RetryMode.DISABLED)

    def set_threads(self, threads: int | None = None) -> None:
        """Updates the number of threads in the async thread pool."""
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        with self._lock:
            old = self._executor
            self._threads = threads
            self._executor = None
            dropped, self._rest = self._rest, None
        _close(dropped)
        if old is not None:
            old.shutdown(wait=False)

    def submit(self, func: Callable[..., _T], *args: Any, **kwargs: Any) -> futures.Future[_T]:
        """Run ``func`` in the client's thread pool."""
        from concurrent import futures

        with self._lock:
            if self._executor is None:
                self._executor = futures.ThreadPoolExecutor(
                    self.pool_size, thread_name_prefix="tiledb-client-"
                )
            return self._executor.submit(func, *args, **kwargs)

    def new_rest(
        self,
        host: str,
        *,
        token: str | None = None,
        basic: BasicAuth | None = None,
        tls: Tls | None = None,
        renew: Callable[[], str] | None = None,
    ) -> RestClient:
        """Return a new REST client with this client's retry mode and pool size."""
        from tiledb.client.transport.rest import RestClient

        return RestClient(
            host, token=token, basic=basic, tls=tls, retry_mode=self._mode,
            pool_size=self.pool_size, renew=renew,
        )  # fmt: skip

    def rest_client(self) -> RestClient:
        """Return the current session's REST client: one per session, shared by threads.

        One replaced (a new session, ``retry_mode()``, ``set_threads()``) is closed
        once the calls running on it finish.
        """
        current = _current()
        with self._lock:
            if self._rest is not None and self._rest[0] is current:
                return self._rest[1]
        from tiledb.client.session import current as sessions

        with self._building:  # not self._lock: making the first client imports requests
            with self._lock:
                if self._rest is not None and self._rest[0] is current:
                    return self._rest[1]
            rest = sessions.rest(current, self)
            with self._lock:
                dropped, self._rest = self._rest, (current, rest)
        _close(dropped)
        return rest


def _close(entry: tuple[Session, RestClient] | None) -> None:
    """Close a REST client the :class:`Client` no longer hands out."""
    if entry is not None:
        entry[1].close()


client = Client()
"""The client used by the module-level functions."""


def build(builder: Callable[[RestClient], _T]) -> _T:
    """The standard low-level API client builder.

    Parameters
    ----------
    builder : Callable[[RestClient], _T]
        Called with the current session's REST client.

    Returns
    -------
    _T
        What ``builder`` returns.
    """
    return client.build(builder)


def Config(cfg_dict: dict[str, Any] | None = None) -> Any:  # noqa: N802 - reference API name
    """Builds a tiledb config setting the login parameters that exist for the cloud service.

    Parameters
    ----------
    cfg_dict : dict, optional
        Other TileDB config parameters to include.

    Returns
    -------
    tiledb.Config
        With the session's host, token (never a password), workspace and TLS options.

    Raises
    ------
    ValueError
        When ``cfg_dict`` sets ``rest.server_address``, ``rest.username`` or ``rest.password``.
    """
    from tiledb.client.session.tiledb_config import build_config, tiledb_params

    return build_config(tiledb_params(_current()), cfg_dict)


def Ctx(config: dict[str, Any] | None = None) -> Any:  # noqa: N802 - reference API name
    """Builds a TileDB Context that has the tiledb config parameters for tiledb cloud set from stored login.

    Parameters
    ----------
    config : dict, optional
        Other TileDB config parameters, as for ``Config()``.

    Returns
    -------
    tiledb.Ctx
    """  # noqa: E501 - the reference API's summary line
    from tiledb.client.basics.tiledb_py import tiledb_py

    return tiledb_py.Ctx(Config(config))


def configure(
    token: Any = None,
    username: str | None = None,
    password: str | None = None,
    workspace: str | None = None,
    host: str | None = None,
    verify_ssl: bool | None = None,
    ca_file: str | None = None,
    profile_name: str | None = None,
    profile_dir: str | None = None,
    overwrite: bool = False,
    *,
    secret_backend: str | None = None,
) -> None:
    """Store TileDB credentials in a profile for later use.

    The token or password goes to a secret backend (the OS keyring, an encrypted file),
    the rest to ``profiles.json``; ``login()`` then loads them. With both a token and a
    username/password, only the token is stored. [Rules](#configure).

    Parameters
    ----------
    token : str, optional
        API token for authentication. This token may be one that identifies a workspace.
    username : str, optional
        A TileDB account username.
    password : str, optional
        A TileDB account password.
    workspace : str, optional
        A TileDB workspace name or id.
    host : str, optional
        The TileDB server address.
    verify_ssl : bool, optional
        Enable strict SSL verification.
    ca_file : str, optional
        Path to a certificate authority bundle file.
    profile_name : str, optional
        The name to assign to the profile; default ``$TILEDB_PROFILE_NAME``, else "default".
    profile_dir : str, optional
        The directory of the profiles file; default ``$TILEDB_PROFILE_DIR``, else ``~/.tiledb``.
    overwrite : bool, optional
        Whether to overwrite an existing profile. Defaults to False.
    secret_backend : str, optional
        Keyword only: ``"keyring"``, ``"encrypted-file"`` or a plugin's name; default
        ``$TILEDB_CLIENT_SECRET_BACKEND``, else the registry's choice ([below](#secret-backends)).

    Raises
    ------
    ConfigurationError
        If parameters are missing or invalid, or no secret backend can store the secret.

    Examples
    --------
    >>> tiledb.client.configure(
    ...     username="myuser", password="mypass", workspace="myworkspace", host="myhost.com"
    ... )
    >>> tiledb.client.configure(
    ...     token="my-token", workspace="myworkspace", host="myhost.com", profile_name="production"
    ... )
    """
    from tiledb.client.operations.configure import configure as configure_profile

    configure_profile(
        token,
        username,
        password,
        workspace,
        host,
        verify_ssl,
        ca_file,
        profile_name,
        profile_dir,
        overwrite,
        secret_backend=secret_backend,
        factory=client,
    )


def login(
    profile_name: str | None = None,
    profile_dir: str | None = None,
    threads: int | None = None,
) -> None:
    """Login and configure a TileDB client session using stored credentials.

    Loads a profile saved by ``configure()``, and the environment, without changing them;
    call it again to switch profiles (a failure keeps the session). [Rules](#login).

    Parameters
    ----------
    profile_name : str, optional
        The profile to use; default ``$TILEDB_PROFILE_NAME``, else "default".
    profile_dir : str, optional
        The directory of the profiles file; default ``$TILEDB_PROFILE_DIR``, else ``~/.tiledb``.
    threads : int, optional
        Number of threads to enable for concurrent requests; default set by the library.

    Raises
    ------
    LoginError
        If no valid profile or credential is found, or the server refuses the credentials.
    ClientError
        If the server cannot be reached.

    Examples
    --------
    >>> tiledb.client.login()
    >>> tiledb.client.login(profile_name="production")
    """
    from tiledb.client.session import current

    if threads is not None:
        client.set_threads(threads)
    current.login(profile_name, profile_dir, client)


def logout(profile_name: str | None = None, profile_dir: str | None = None) -> None:
    """End the session and revoke the session token a password login made.

    The token is revoked on the server and removed from the profile's backend; API tokens
    you configured are never revoked. TileDB-Py's default context loses the credentials.

    Parameters
    ----------
    profile_name, profile_dir : str, optional
        The profile to log out of, current or not; default the current one, else "default".

    Raises
    ------
    ClientError
        If the server cannot be reached; the token is kept for a later logout.
    """
    from tiledb.client.operations.profile_secrets import logout as _logout

    _logout(client, profile_name, profile_dir)


def child_env(
    profile_name: str | None = None,
    profile_dir: str | None = None,
    *,
    base: Mapping[str, str] | None = None,
    ttl: timedelta | str | None = None,
    scope: str = "*",
) -> dict[str, str]:
    """Return an environment for a child process that carries the session's credentials.

    The twin of ``tiledb-client exec``: TileDB core in the child (Python, R, the TileDB
    CLI, ...) sends the session's token, never a password, with the variables of
    [child processes](how-to/child-processes.md). ``os.environ`` is not changed.

    Parameters
    ----------
    profile_name, profile_dir : str, optional
        Log in with this profile, without making it current; default the current session.
    base : mapping, optional
        The environment to extend; default a copy of ``os.environ``.
    ttl : timedelta or str, optional
        Give the child a job token of its own (``job-child-...``) expiring after ``ttl``
        (e.g. ``"10m"``); only ``tiledb-client logout --everywhere`` revokes it earlier.
    scope : str, optional
        The job token's scope, e.g. ``"array:read"``; default ``"*"``.

    Returns
    -------
    dict
        e.g. ``{..., "TILEDB_REST_WORKSPACE": "acme", ...}``.

    Raises
    ------
    LoginError
        When the profile or its secret cannot be loaded, or the server refuses them.

    Examples
    --------
    >>> import subprocess, sys
    >>> subprocess.run(
    ...     [sys.executable, "-c", "import tiledb; tiledb.ArraySchema.load('tiledb://acme/a')"],
    ...     env=tiledb.client.child_env(),
    ... )  # doctest: +SKIP
    """
    from tiledb.client.basics.inputs import parse_duration
    from tiledb.client.operations.child_env import prepare_child

    session = _current() if profile_name is None and profile_dir is None else None
    lifetime = parse_duration(ttl, what="ttl") if isinstance(ttl, str) else ttl
    return prepare_child(
        session, profile_name=profile_name, profile_dir=profile_dir, factory=client,
        base=base, ttl=lifetime, scope=scope,
    ).environment  # fmt: skip


def get_workspace() -> Workspace:
    """Get the current session's workspace.

    A failure suggests a wrong profile host.

    Returns
    -------
    Workspace

    Raises
    ------
    ClientError
        When the workspace can not be retrieved.
    """
    return _current().get_workspace(client.rest_client())


def get_workspace_id() -> str:
    """Get the current session's workspace id.

    Returns
    -------
    str
        e.g. ``"ws_2b7c9d1e3f4a5b6c"``.
    """
    current = _current()
    if current.workspace and current.workspace.startswith("ws_"):
        return current.workspace
    if not current.workspace and current.workspace_id:
        return current.workspace_id
    return get_workspace().workspace_id


def get_self_user() -> tuple[User, list[UserSelfWorkspace]]:
    """Get the currently logged-in user and related workspaces.

    Returns
    -------
    tuple[User, list[UserSelfWorkspace]]
    """
    return _current().self_user(client.rest_client())


def get_user() -> User:
    """The current session's deployment user.

    Its ``role`` is "owner", "admin" or "member"; a failure suggests a wrong profile host.

    Returns
    -------
    User

    Raises
    ------
    ClientError
        When the user can not be retrieved.
    """
    return get_self_user()[0]


def get_user_workspaces() -> list[Workspace]:
    """A list of relationships between the session user and workspaces.

    Returns
    -------
    list[Workspace]

    Raises
    ------
    ClientError
        When the user-workspace relationships can not be retrieved.
    """
    from tiledb.client.basics.models import Workspace

    return [Workspace.from_listed(item) for item in get_self_user()[1]]


def default_user() -> User:
    """Get the currently logged-in user.

    Returns
    -------
    User
    """
    return get_user()
