"""TileDB client and supporting methods, such as login().

Examples
--------
Login and configure a client session from a named profile.

>>> tiledb.client.login(profile_name=PROFILE_NAME)

"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

from tiledb.client.errors import ClientError, ConfigurationError, LoginError
from tiledb.client.retry import RetryMode, RetryOrStr

# Everything else loads on first use, so that ``import tiledb.client`` stays cheap.
if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent import futures

    from tiledb.client.configuration import configure
    from tiledb.client.models import User, UserSelfWorkspace, Workspace
    from tiledb.client.rest import BasicAuth, RestClient
    from tiledb.client.session import Session

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
    """Load ``Workspace`` and ``configure`` on first access (PEP 562)."""
    if name == "Workspace":
        from tiledb.client.models import Workspace

        return Workspace
    if name == "configure":
        from tiledb.client.configuration import configure

        return configure
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _current() -> Session:
    from tiledb.client import session

    return session.current(client)


_T = TypeVar("_T")


class Client:
    """TileDB Client.

    Holds how requests are made (thread and connection pool size, retry mode);
    the credentials come from the current session.

    Parameters
    ----------
    pool_threads : int, optional
        Number of threads to use for http requests; also the connection pool
        size. Defaults to ``min(32, os.cpu_count() + 4)``.
    retry_mode : RetryMode or str
        Retry mode: ``"default"``, ``"forceful"`` or ``"disabled"``.
    """

    def __init__(
        self, pool_threads: int | None = None, retry_mode: RetryOrStr = RetryMode.DEFAULT
    ) -> None:
        self._lock = threading.Lock()
        self._threads = pool_threads
        self._mode = RetryMode.maybe_from(retry_mode)
        self._executor: futures.ThreadPoolExecutor | None = None
        self._rest: tuple[Session, RestClient] | None = None

    def __repr__(self) -> str:
        return f"Client(pool_threads={self.pool_size}, retry_mode={self._mode.value!r})"

    @property
    def pool_size(self) -> int:
        """Threads in the pool, and connections kept per host."""
        from tiledb.client.rest import default_pool_size

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
            Called with the :class:`~tiledb.client.rest.RestClient` of the
            current session.
        """
        return builder(self.rest_client())

    def retry_mode(self, mode: RetryOrStr = RetryMode.DEFAULT) -> None:
        """Sets how we should retry requests and updates API instances."""
        new_mode = RetryMode.maybe_from(mode)
        with self._lock:
            self._mode = new_mode
            self._rest = None

    def set_threads(self, threads: int | None = None) -> None:
        """Updates the number of threads in the async thread pool."""
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        with self._lock:
            old = self._executor
            self._threads = threads
            self._executor = None
            self._rest = None
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
        verify_ssl: bool = True,
        ca_file: str | None = None,
    ) -> RestClient:
        """Return a new REST client with this client's retry mode and pool size."""
        from tiledb.client.rest import RestClient

        return RestClient(
            host,
            token=token,
            basic=basic,
            verify_ssl=verify_ssl,
            ca_file=ca_file,
            retry_mode=self._mode,
            pool_size=self.pool_size,
        )

    def rest_client(self) -> RestClient:
        """Return the REST client of the current session (made once per session)."""
        current = _current()
        with self._lock:
            if self._rest is not None and self._rest[0] is current:
                return self._rest[1]
        rest = current.rest(self)
        with self._lock:
            self._rest = (current, rest)
        return rest


client = Client()
"""The client used by the module-level functions."""


def build(builder: Callable[[RestClient], _T]) -> _T:
    """The standard low-level API client builder.

    Parameters
    ----------
    builder : Callable[[RestClient], _T]
        Called with the REST client of the current session.

    Returns
    -------
    _T
        What ``builder`` returns.

    Notes
    -----
    This function is mostly for internal use.
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
        With ``rest.server_address``, ``rest.token`` (a session token after a
        password login, never the password), ``rest.workspace`` and the TLS
        options of the session.

    Raises
    ------
    ValueError
        When ``cfg_dict`` sets ``rest.server_address``, ``rest.username`` or
        ``rest.password``.
    """
    from tiledb.client.contexts import build_config
    from tiledb.client.session import tiledb_params

    return build_config(tiledb_params(_current()), cfg_dict)


def Ctx(config: dict[str, Any] | None = None) -> Any:  # noqa: N802 - reference API name
    """Builds a TileDB Context that has the tiledb config parameters for tiledb cloud set from stored login.

    Returns
    -------
    tiledb.Ctx
    """  # noqa: E501 - the reference API's summary line
    from tiledb.client._tiledb_py import tiledb_py

    return tiledb_py.Ctx(Config(config))


def login(
    profile_name: str | None = None,
    profile_dir: str | None = None,
    threads: int | None = None,
) -> None:
    """Login and configure a TileDB client session using stored credentials.

    This method loads credentials from a TileDB profile that was previously
    saved using configure(). It does not store or modify credentials; it only
    loads them to establish a session. A username and password are exchanged
    for a session token, which later logins reuse while it is valid.

    To store credentials for the first time, use configure() first, then
    call login() to activate them.

    You may call this function multiple times within a Python interpreter
    session to switch between TileDB profiles and configure new client
    sessions. A failed login leaves the previous session in place.

    Parameters
    ----------
    profile_name : str, optional
        Name of the configuration profile to use. If not specified, the
        default profile will be used if it exists.
    profile_dir : str, optional
        The directory where the profiles file is stored. Defaults to None,
        which means ``$TILEDB_PROFILE_DIR``, else ``~/.tiledb``.
    threads : int, optional
        Number of threads to enable for concurrent requests, default to
        None (determined by library).

    Raises
    ------
    LoginError
        If the login fails due to missing configuration parameters or
        if no valid profile can be found, or the server refuses the credentials.
    ClientError
        If the server cannot be reached.

    Examples
    --------
    Login using the default profile:

    >>> tiledb.client.login()

    Login using a named profile:

    >>> tiledb.client.login(profile_name="production")
    """
    from tiledb.client import session

    if threads is not None:
        client.set_threads(threads)
    session.login(profile_name, profile_dir, client)


def logout(profile_name: str | None = None, profile_dir: str | None = None) -> None:
    """End the session and revoke the session token a password login made.

    The session token is revoked on the server (``DELETE /v4/tokens/{id}``) and
    removed from the profile's secret backend; API tokens you configured are
    never revoked. TileDB-Py's default context loses the session's credentials.

    Parameters
    ----------
    profile_name, profile_dir : str, optional
        Log out of this profile (its cached session token is revoked even when
        it is not the current session). Defaults to the current session's
        profile, else the default profile.

    Raises
    ------
    ClientError
        If the server cannot be reached to revoke the token; the token is then
        kept so that a later logout can revoke it.
    """
    from tiledb.client.sign_out import logout as _logout

    _logout(client, profile_name, profile_dir)


def get_workspace() -> Workspace:
    """Get the current session's workspace.

    This function can also be used to diagnose a defective profile. If
    a description of the current session's workspace can not be
    retrieved, it's likely that the profile host is mis-identified.

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

    The `role` attribute of the User class describes the user's role in
    the TileDB deployment. Values are "owner", "admin", or "member".

    This function can also be used to diagnose a defective profile. If
    a description of the current session's deployment user can not be
    retrieved, it's likely that the profile host is mis-identified.

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
    from tiledb.client.models import Workspace

    return [Workspace.from_listed(item) for item in get_self_user()[1]]


def default_user() -> User:
    """Get the currently logged-in user.

    Returns
    -------
    User
    """
    return get_user()
