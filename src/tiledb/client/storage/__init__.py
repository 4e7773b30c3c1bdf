"""Layer 2, storage: ``profiles.json`` and the plaintext files of older tools.

The secret backends, the other half of this layer, are ``secrets/``.
"""
