"""``tiledb-client doctor``: every check a login depends on, a module each, as findings."""
