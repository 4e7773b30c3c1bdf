"""Doctor check: the vendor's ``tiledb-client`` installed beside this package."""

from __future__ import annotations

from tiledb.client.operations.coexistence import (
    REINSTALL,
    VENDOR_DISTRIBUTION,
    find_vendor_package,
)
from tiledb.client.operations.doctor.findings import Finding

__all__ = ["coexistence_findings"]


def coexistence_findings() -> list[Finding]:
    """A warning when the vendor's distribution shares ``tiledb/client/`` with ours."""
    vendor = find_vendor_package()
    if vendor is None:
        return []
    subject = f"{VENDOR_DISTRIBUTION} {vendor.version}"
    return [Finding("environment", subject, "warning", vendor.message(), REINSTALL)]
