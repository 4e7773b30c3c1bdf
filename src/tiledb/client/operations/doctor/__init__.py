"""``tiledb-client doctor``: every check a login depends on, a module per report section."""
