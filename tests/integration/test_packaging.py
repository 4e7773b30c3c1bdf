"""``pip install .`` gives a ``tiledb.client`` that imports next to TileDB-Py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_installs_next_to_tiledb_py(tmp_path: Path) -> None:
    # Build from a copy: building in place would leave build/ and egg-info in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("tiledb_client_keyring-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tiledb/__init__.py" not in names  # TileDB-Py owns the tiledb package
    assert "tiledb/client/py.typed" in names
    assert "tiledb/client/testing/backend_conformance.py" in names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    )
    assert b"tiledb-client = tiledb.client.cli:main" in entry_points

    target = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)  # tiledb itself still comes from site-packages
    code = (
        "import tiledb, tiledb.client, tiledb.client.client as c;"
        "print(tiledb.__file__); print(tiledb.client.__file__);"
        "print(issubclass(c.LoginError, tiledb.TileDBError))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    tiledb_file, client_file, is_subclass = out.stdout.split()
    assert not tiledb_file.startswith(str(target))
    assert client_file.startswith(str(target))
    assert is_subclass == "True"
