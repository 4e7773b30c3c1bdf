"""``pip install .`` gives a ``tiledb.client`` that imports next to TileDB-Py.

The check must hold however the package under test is itself installed (editable in
``.venv``, a wheel in a ``tox`` environment, or not at all): the wheel built here goes
into one directory and a copy of TileDB-Py without any ``tiledb/client`` into another,
and a child Python sees only those two ahead of its own site-packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tiledb_py_alone(into: Path) -> Path:
    """Copy TileDB-Py (its package and bundled libraries) into ``into``, minus ``client``."""
    import tiledb

    # tiledb.__file__ may be a portion of the namespace: take the one with __init__.py.
    package = Path(tiledb.__file__).parent
    site = package.parent
    into.mkdir()
    shutil.copytree(
        package, into / "tiledb", ignore=shutil.ignore_patterns("client", "__pycache__")
    )
    for libs in site.glob("tiledb*.libs"):  # auditwheel's bundled shared libraries
        (into / libs.name).symlink_to(libs, target_is_directory=True)
    return into


def test_wheel_installs_next_to_tiledb_py(tmp_path: Path) -> None:
    # Build from a copy: building in place would leave build/ and egg-info in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert "Warning" not in build.stderr, build.stderr  # e.g. setuptools' license deprecation
    (wheel,) = tmp_path.glob("tiledb_client_keyring-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tiledb/__init__.py" not in names  # TileDB-Py owns the tiledb package
    assert "tiledb/client/py.typed" in names
    assert "tiledb/client/testing/backend_conformance.py" in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("/METADATA")))
    assert b"License-Expression: MIT" in metadata
    assert any(n.endswith("licenses/LICENSE") for n in names)
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    )
    assert b"tiledb-client = tiledb.client.cli:main" in entry_points

    target = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    tiledb_py = _tiledb_py_alone(tmp_path / "tiledb-py")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([str(tiledb_py), str(target)])
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
    assert tiledb_file.startswith(str(tiledb_py))  # TileDB-Py's own tiledb/__init__.py
    assert client_file.startswith(str(target))  # ours, found through TileDB-Py's extend_path
    assert is_subclass == "True"


def _requirement_names(requirements: list[str]) -> set[str]:
    import re

    names = (re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] for r in requirements)
    return {name.lower().replace("_", "-") for name in names}


def test_types_environment_installs_everything_src_imports() -> None:
    """``tox -e types`` (mypy --strict on src/) needs every third-party import of src/."""
    import ast
    import importlib.metadata

    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    installed = _requirement_names(project["dependencies"])
    installed |= _requirement_names(project["optional-dependencies"]["types"])
    providers = importlib.metadata.packages_distributions()
    needed: dict[str, str] = {}
    for path in (ROOT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top == "tiledb":
                    continue
                for dist in providers.get(top, [top]):
                    needed.setdefault(dist.lower().replace("_", "-"), str(path.relative_to(ROOT)))
    missing = {dist: where for dist, where in needed.items() if dist not in installed}
    assert not missing, f"imported by src/ but not installed by `tox -e types`: {missing}"


def test_ci_runs_the_tox_environments() -> None:
    """scripts/test (what .ci/run runs) checks lint and types through tox, not on its own."""
    import re

    script = (ROOT / "scripts" / "test").read_text()
    commands = [
        line.strip()
        for line in script.splitlines()
        if line.strip() and not line.strip().startswith(("#", "echo"))
    ]
    tox = [line for line in commands if line.startswith(".venv/bin/tox -q -e ")]
    assert len(tox) == 1
    assert {"lint", "types"} <= set(tox[0].split()[-1].split(","))
    assert not [line for line in commands if re.search(r"\b(mypy|ruff|lint-imports)\b", line)]
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_setup_reinstalls_only_when_something_changed(tmp_path: Path) -> None:
    """scripts/setup: a line per step, and pip only when pyproject.toml (or Python) changed.

    The project's .venv is stood in for by one whose python records its pip calls
    (and runs the real interpreter for anything else), so nothing is installed.
    """
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup", project / "scripts" / "setup")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    calls = tmp_path / "pip-calls"
    python = project / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(
        "#!/bin/sh\n"
        f'if [ "$1 $2" = "-m pip" ]; then echo "$*" >> {calls}; exit 0; fi\n'
        f'exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    env = {**os.environ, "SETUP_APT": "0", "PYTHONPATH": str(ROOT / "src")}

    def setup() -> tuple[list[str], list[str]]:
        before = calls.read_text().splitlines() if calls.exists() else []
        done = subprocess.run(
            ["bash", "scripts/setup"], cwd=project, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        after = calls.read_text().splitlines() if calls.exists() else []
        return done.stdout.splitlines(), after[len(before) :]

    first, pip_first = setup()
    assert [line.split("]")[0] for line in first if line.startswith("==> [")] == [
        "==> [1/4",
        "==> [2/4",
        "==> [3/4",
        "==> [4/4",
    ]
    assert any(
        "install" in call and "-e .[test,lint,types,docs,mutation]" in call for call in pip_first
    )
    second, pip_second = setup()
    assert pip_second == []  # nothing changed: nothing reinstalled
    assert "up to date" in second[-1]
    with (project / "pyproject.toml").open("a") as changed:
        changed.write("\n# a change\n")
    _, pip_third = setup()
    assert any("-e .[test,lint,types,docs,mutation]" in call for call in pip_third)


def test_tox_tests_environment_installs_what_the_tests_use() -> None:
    """``tox -e tests`` installs every extra whose packages the suite imports or runs.

    (tests/docs runs ``python -m mkdocs``: without the docs extra, tox -e tests failed.)
    """
    import ast
    import configparser
    import importlib.metadata
    import re

    import tomllib

    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    extras = set(tox["testenv:tests"]["extras"].split())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    installed = _requirement_names(project["dependencies"])
    listed = set(installed)
    for extra, requirements in project["optional-dependencies"].items():
        listed |= _requirement_names(requirements)
        if extra in extras:
            installed |= _requirement_names(requirements)
    providers = importlib.metadata.packages_distributions()
    used: dict[str, str] = {}
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text()
        modules = set(re.findall(r"[\"']-m[\"'],\s*[\"'](\w+)", text))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
        for module in modules:
            for dist in providers.get(module, []):
                used.setdefault(dist.lower().replace("_", "-"), str(path.relative_to(ROOT)))
    missing = {d: where for d, where in used.items() if d in listed and d not in installed}
    assert not missing, f"used by tests/ but not installed by `tox -e tests`: {missing}"
