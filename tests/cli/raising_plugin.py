"""A secret-backend plugin that raises from every method (RuntimeError unless told), in a folder.

Put the returned folder on ``PYTHONPATH`` of a child process: its ``dist-info`` registers
the plugin as ``raising`` in the entry-point group ``tiledb.client.secret_backends``.
"""

from __future__ import annotations

from pathlib import Path

PLUGIN_SOURCE = """\
from tiledb.client.secrets.base import SecretBackend

class RaisingBackend(SecretBackend):
    name = 'raising'
    description = 'a plugin that breaks every rule'
    def probe(self):
        if PROBE_OK:
            from tiledb.client.secrets.base import Availability
            return Availability(True, 'a test plugin')
        raise ERROR('probe exploded')
    def get(self, key): raise ERROR('get exploded')
    def set(self, key, secret): raise ERROR('set exploded: ' + secret)
    def delete(self, key): raise ERROR('delete exploded')
    def contains(self, key): raise ERROR('contains exploded')
"""


def install_raising_plugin(
    tmp_path: Path, error: str = "RuntimeError", *, probe_ok: bool = False
) -> Path:
    """Write the plugin and its ``dist-info`` under ``tmp_path``; return the folder."""
    plugins = tmp_path / "plugins"
    info = plugins / "raising_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: raising-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[tiledb.client.secret_backends]\nraising = raising_plugin:RaisingBackend\n"
    )
    head = f"ERROR = {error}\nPROBE_OK = {probe_ok}\n"
    (plugins / "raising_plugin.py").write_text(head + PLUGIN_SOURCE)
    return plugins
