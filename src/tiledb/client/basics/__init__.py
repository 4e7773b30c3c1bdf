"""Layer 1, basics: plain data and small helpers that every other layer uses.

Errors, the server's data models, retry modes, atomic file writes, masking of
secrets, facts of the wire protocol, call deadlines and the typed handle on
TileDB-Py. Nothing here imports another layer of ``tiledb.client``.
"""
