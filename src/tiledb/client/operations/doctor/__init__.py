"""``tiledb-client doctor``: every check a login depends on, as findings with fixes.

``findings`` holds the report types; ``backends``, ``files``, ``environment``,
``profiles`` and ``hosts`` each check one thing; ``diagnose`` runs them all.
"""
