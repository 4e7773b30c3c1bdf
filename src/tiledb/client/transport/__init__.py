"""Layer 3, transport: HTTP to a TileDB REST server; ``requests`` loads with the first client."""
