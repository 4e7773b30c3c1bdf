"""Layer 3, transport: HTTP to a TileDB REST server.

``rest`` is the client, its attempt loop and its errors; ``http_session`` the
``requests.Session`` it uses; ``failures`` says what failed without quoting a request.
``requests`` is imported when the first client is made, never with this package.
"""
