"""Detecting the vendor's ``tiledb-client`` distribution installed beside this one.

Both install ``tiledb/client/``; pip does not notice, and the one installed last replaced
the other's files. The fix: uninstall both, install this one again (:data:`REINSTALL`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

__all__ = ["REINSTALL", "VENDOR_DISTRIBUTION", "VendorPackage", "find_vendor_package"]

VENDOR_DISTRIBUTION = "tiledb-client"
OUR_DISTRIBUTION = "tiledb-client-keyring"
REINSTALL = (
    f"pip uninstall -y {VENDOR_DISTRIBUTION} {OUR_DISTRIBUTION} && pip install {OUR_DISTRIBUTION}"
)
"""The command that leaves this package alone in ``tiledb/client/``."""

_PACKAGE = PurePosixPath("tiledb", "client")
_OUR_ROOT = Path(__file__).resolve().parents[1]  # .../tiledb/client


@dataclass(frozen=True)
class VendorPackage:
    """The vendor's distribution as installed, and the files of ``tiledb/client/`` both install."""

    version: str
    location: Path | None
    shared_files: tuple[str, ...]

    def message(self) -> str:
        """One paragraph saying what is wrong, for ``doctor`` and the command line."""
        where = f" in {self.location}" if self.location else ""
        inside = sorted(
            (name.removeprefix(f"{_PACKAGE}/") for name in self.shared_files),
            key=lambda name: (name.count("/"), name),
        )  # "_common/__init__.py", not a bare "__init__.py" repeated
        shared = ", ".join(inside[:4])
        more = f" and {len(self.shared_files) - 4} more" if len(self.shared_files) > 4 else ""
        owned = f" (both own {shared}{more})" if shared else ""
        return (
            f"The vendor's {VENDOR_DISTRIBUTION} {self.version} is installed{where}. It and"
            f" {OUR_DISTRIBUTION} both install tiledb/client/{owned}: the one installed last"
            " replaced the other's files without a word from pip, and uninstalling either"
            f" breaks the other. {OUR_DISTRIBUTION} replaces it; uninstall it first."
        )


def find_vendor_package() -> VendorPackage | None:
    """Return the vendor's ``tiledb-client`` if installed (nothing is imported), else ``None``."""
    try:
        found = metadata.distribution(VENDOR_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    name = (found.metadata["Name"] or "").lower().replace("_", "-")
    if name != VENDOR_DISTRIBUTION:  # e.g. a prefix match on a case-folding file system
        return None
    # RECORD as written, not ``found.files``: the importlib_metadata backport (which
    # keyring brings in) leaves out files that no longer exist.
    record = found.read_text("RECORD") or ""
    files = {str(PurePosixPath(row[0])) for row in csv.reader(record.splitlines()) if row}
    ours = {  # our modules as a RECORD names them, e.g. "tiledb/client/client.py"
        str(_PACKAGE / path.relative_to(_OUR_ROOT).as_posix())
        for path in _OUR_ROOT.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    shared = tuple(sorted(files & ours))
    try:
        location: Path | None = Path(str(found.locate_file(""))).resolve()
    except (OSError, TypeError, ValueError):
        location = None
    return VendorPackage(found.version or "unknown version", location, shared)
