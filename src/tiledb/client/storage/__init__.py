"""Layer 2, storage: the files we read and write.

The secret backends, the other half of this layer, are :mod:`tiledb.client.secrets`.

``profiles`` is TileDB core's ``profiles.json`` (``profile_keys`` names its keys);
``legacy_files`` reads and scrubs the plaintext files of older tools. Storage knows
nothing of secret backends, HTTP or sessions.
"""
