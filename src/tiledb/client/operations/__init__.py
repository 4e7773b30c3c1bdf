"""Layer 5, operations: what a user asks for; the caller passes the REST client factory in."""
