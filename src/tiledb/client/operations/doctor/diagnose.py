"""Diagnose the credential setup: backends, files, environment, profiles, orphan secrets, hosts.

:func:`diagnose` returns a :class:`DoctorReport` of :class:`Finding` objects, each
with a severity and, for problems, the fix. A finding of severity ``"error"`` is
one that would stop a login of the profile in use (``--profile``, else
``$TILEDB_PROFILE_NAME``, else ``default``); the same problem in another profile
is a ``"warning"``. Values of secret environment variables are masked; no secret
is ever read out of a backend (presence is checked with ``contains``), and nothing
prompts (not even for the vault passphrase).

Used by ``tiledb-client doctor``.
"""

from __future__ import annotations

import os

from tiledb.client.operations.doctor.backends import backend_findings, vault_findings
from tiledb.client.operations.doctor.coexistence import coexistence_findings
from tiledb.client.operations.doctor.environment import environment_findings, environment_in_effect
from tiledb.client.operations.doctor.files import file_findings
from tiledb.client.operations.doctor.findings import DoctorReport, Finding
from tiledb.client.operations.doctor.hosts import host_findings
from tiledb.client.operations.doctor.orphans import orphan_findings
from tiledb.client.operations.doctor.profiles import profile_findings
from tiledb.client.secrets.diagnostics import backend_statuses, explain_selection
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name

__all__ = ["diagnose"]


def diagnose(
    profile_name: str | None = None,
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    network: bool = True,
    host_timeout: float = 5.0,
) -> DoctorReport:
    """Check everything a login depends on.

    Parameters
    ----------
    profile_name : str, optional
        The profile in use; its problems are errors, other profiles' warnings.
    profile_dir : str or path-like, optional
        The profile directory.
    network : bool
        Check that each profile's host answers (any HTTP answer counts).
    host_timeout : float
        Seconds allowed to connect to, and hear from, each host.

    Returns
    -------
    DoctorReport
    """
    name = resolve_profile_name(profile_name)
    store = ProfileStore(profile_dir)
    statuses = backend_statuses()
    selection = explain_selection(statuses)
    findings: list[Finding] = []
    profiles, found_in_files = file_findings(store)
    findings += backend_findings(statuses, selection, profiles or {}, name)
    findings += found_in_files
    findings += environment_findings(name, store, profiles)
    findings += coexistence_findings()
    if profiles is not None:
        findings += vault_findings(name, profiles)
        findings += profile_findings(name, store, profiles)
        findings += orphan_findings(store, statuses)
        if network:
            findings += host_findings(name, profiles, host_timeout)
    return DoctorReport(
        name,
        store.path,
        tuple(statuses),
        selection,
        tuple(environment_in_effect()),
        tuple(findings),
    )
