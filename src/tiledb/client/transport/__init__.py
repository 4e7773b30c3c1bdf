"""Layer 3, transport: HTTP to a TileDB REST server (``requests`` + ``urllib3.Retry``).

``rest`` is the client and its errors; ``retries`` builds the retry policy of a
retry mode; ``http_session`` is the ``requests.Session`` it uses. ``requests`` is
imported when the first client is made, never when this package is imported.
"""
