"""The vendor's ``tiledb-client`` installed beside us: doctor and every command say so.

The vendor's package is not installed in CI: a fake installed distribution (a
``dist-info`` directory, as pip leaves it) on ``sys.path`` stands in for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tiledb.client.operations.coexistence import REINSTALL, find_vendor_package
from tiledb.client.operations.doctor.diagnose import diagnose

from .conftest import Cli

VENDOR_RECORD = """\
tiledb/client/__init__.py,sha256=MNt8Q1RE2bJIVWjQliIHLAqSM_JssVt9nqX7yYqhmRk,2810
tiledb/client/array.py,sha256=cnG98rvVGVbA0fUXmOqnOH_ata3TkqWBE-pUkOtcIIs,20319
tiledb/client/client.py,sha256=SemnifiTPbYLkuT4RHQPEifop090PSoa_QA-glKWE0A,27971
tiledb_client-3.0b12.dist-info/METADATA,,
tiledb_client-3.0b12.dist-info/RECORD,,
"""


@pytest.fixture
def vendor_site(tmp_path: Path) -> Path:
    """A site directory holding the vendor's dist-info (as pip installs it)."""
    site = tmp_path / "site-with-the-vendor"
    info = site / "tiledb_client-3.0b12.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.4\nName: tiledb-client\nVersion: 3.0b12\n", encoding="utf-8"
    )
    (info / "RECORD").write_text(VENDOR_RECORD, encoding="utf-8")
    return site


def test_the_vendor_package_is_found(vendor_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_vendor_package() is None  # ours is tiledb-client-keyring, not it
    monkeypatch.syspath_prepend(str(vendor_site))
    found = find_vendor_package()
    assert found is not None
    assert found.version == "3.0b12"
    assert found.location == vendor_site.resolve()
    assert found.shared_files == ("tiledb/client/__init__.py", "tiledb/client/client.py")
    assert "uninstall it first" in found.message()


def test_doctor_reports_the_vendor_package(
    vendor_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not [f for f in diagnose(network=False).findings if "3.0b12" in f.subject]
    monkeypatch.syspath_prepend(str(vendor_site))
    found = [f for f in diagnose(network=False).findings if f.subject == "tiledb-client 3.0b12"]
    assert len(found) == 1
    assert (found[0].section, found[0].severity, found[0].fix) == (
        "environment",
        "warning",
        REINSTALL,
    )
    assert "both own __init__.py, client.py" in found[0].message


def test_every_command_says_so(cli: Cli, vendor_site: Path) -> None:
    env = {"PYTHONPATH": str(vendor_site)}
    listed = cli("profile", "list", env=env)
    assert listed.stderr.count("The vendor's tiledb-client 3.0b12 is installed") == 1
    assert REINSTALL in listed.stderr
    doctor = cli("doctor", "--offline", "--json", env=env, expect=None).json()
    subjects = [f["subject"] for f in doctor["findings"]]
    assert "tiledb-client 3.0b12" in subjects
    assert "vendor" not in cli("profile", "list").stderr


def test_shared_files_are_named_by_their_path_in_the_package() -> None:
    """Issue 20, finding 8: "__init__.py, __init__.py ... and 686 more" said nothing."""
    from tiledb.client.operations.coexistence import VendorPackage

    files = [f"tiledb/client/{name}" for name in ("b/__init__.py", "a/__init__.py", "x.py")]
    message = VendorPackage(
        "3.0", None, (*files, "tiledb/client/c/d/__init__.py", "y.py")
    ).message()
    assert "(both own x.py, y.py, a/__init__.py, b/__init__.py and 1 more)" in message
