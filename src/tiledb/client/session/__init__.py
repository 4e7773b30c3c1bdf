"""Layer 4, the session: who is logged in, where, and with which token.

Follow ``login()`` down this package in order:

1. ``settings``: where each setting comes from (argument > environment > profile);
2. ``session_tokens``: a username and password exchanged for a session token;
3. ``login``: the :class:`~tiledb.client.session.session.Session` built from both;
4. ``current``: the one current session, replaced under a lock;
5. ``tiledb_config``: ``tiledb.Config``/``Ctx`` and TileDB-Py's default context.
"""
