"""Layer 1, basics: plain data and small helpers for every layer; it imports no other layer."""
