"""The forms a secret takes once encoded, and a search for them in files, logs and output.

A secret is found raw, and also as hex, UTF-16 and base64 (standard and URL-safe, at
each of the three byte alignments, so a token inside a longer encoded blob and an
``Authorization: Basic base64(user:password)`` header are found too).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable


def encodings(secret: str) -> dict[str, bytes]:
    """The forms a secret takes in files that store it without encryption.

    keyrings.alt's PlaintextKeyring writes base64 in lines of 76 characters (so the
    search also looks at each file with its white space removed); other stores write hex, UTF-16
    (Windows-made files) or JSON with escapes. The base64 forms are taken at all three
    byte alignments, so a secret inside a longer encoded blob is found too.
    """
    raw = secret.encode()
    forms = {
        "raw": raw,
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
        "utf-16-le": secret.encode("utf-16-le"),
        "utf-16-be": secret.encode("utf-16-be"),
    }
    for shift in range(3):
        # Encode behind `shift` filler bytes, keep only the characters that depend on the
        # secret alone (whole 3-byte groups), so the form matches at any offset in a blob.
        encoded = base64.b64encode(b"\0" * shift + raw)
        first_group, end_group = -(-shift // 3), (shift + len(raw)) // 3
        body = encoded[4 * first_group : 4 * end_group]
        forms[f"base64+{shift}"] = body
        forms[f"urlsafe-base64+{shift}"] = body.replace(b"+", b"-").replace(b"/", b"_")
    return forms


def forms_found(data: bytes | str, secrets: Iterable[str]) -> list[str]:
    """Which secret (its first 4 characters) shows in ``data``, and as which encoding.

    Base64 forms are also looked for with white space removed (wrapped lines).
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    unwrapped = re.sub(rb"\s+", b"", data)
    return [
        f"{secret[:4]}... as {name}"
        for secret in secrets
        for name, form in encodings(secret).items()
        if form in data or (name.startswith(("base64", "urlsafe")) and form in unwrapped)
    ]
