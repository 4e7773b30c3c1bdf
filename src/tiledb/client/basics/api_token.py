"""API tokens as the server returns them, and the base of every server model.

Apart from :mod:`tiledb.client.basics.models` (which re-exports it): a login reusing a
cached session token needs nothing else.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

__all__ = ["APIToken", "WireModel", "parse_timestamp", "wire_key"]


def parse_timestamp(value: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp (``"2025-01-15T10:20:30Z"``); ``None`` if missing or bad."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _wire_value(value: Any) -> Any:
    if isinstance(value, WireModel):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_wire_value(item) for item in value]
    return value


def wire_key(name: str | None) -> dict[str, Any]:
    """Field metadata naming the JSON key of an attribute (``None``: not on the wire)."""
    return {"wire": name}


def _from_wire(model: type, kind: str, value: Any) -> Any:
    """``value`` read as a field annotated ``kind``: text, a time, a role, a nested model."""
    first = kind.split(" | ")[0]
    if first == "str":
        return str(value) if value is not None else ("" if kind == "str" else None)
    if first == "datetime":
        return parse_timestamp(value)
    if first == "bool" or not value:
        return value if first == "bool" else None
    target = getattr(sys.modules[model.__module__], first)  # a role or a model, by its name
    if issubclass(target, enum.Enum):
        try:
            return target(value)
        except ValueError:  # a role new to us stays its raw value
            return value
    return target.from_json(value)


_M = TypeVar("_M", bound="WireModel")


class WireModel:
    """A server model: ``from_json`` by its fields' annotations, ``to_dict``, a readable repr."""

    @classmethod
    def from_json(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Build from an object of the server's answer."""
        values = {}
        for item in fields(cls):  # type: ignore[arg-type]
            key = item.metadata.get("wire", item.name)
            if key is not None:
                values[item.name] = _from_wire(cls, str(item.type), data.get(key))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Return the object with the wire's keys, nested models as dicts, roles as strings."""
        result: dict[str, Any] = {}
        for item in fields(self):  # type: ignore[arg-type]
            key = item.metadata.get("wire", item.name)
            if key is not None:
                result[key] = _wire_value(getattr(self, item.name))
        return result

    def __repr__(self) -> str:
        shown = {
            name: value
            for name, value in asdict(self).items()  # type: ignore[call-overload]
            if getattr(type(self), "__dataclass_fields__")[name].repr  # noqa: B009
        }
        import pprint  # only when a model is shown

        return f"{type(self).__name__}({pprint.pformat(shown, sort_dicts=False)})"


@dataclass(frozen=True, repr=False)
class APIToken(WireModel):
    """An API token (``POST /v4/tokens``). ``api_key`` is the secret; it is never shown."""

    token_id: str
    api_key: str = field(repr=False)
    name: str | None = None
    workspace_id: str | None = None
    scope: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None

    def to_dict(self, *, include_api_key: bool = False) -> dict[str, Any]:
        """Return the token with the wire's keys; ``api_key`` only when asked for."""
        result = super().to_dict()
        if not include_api_key:
            result.pop("api_key", None)
        return result
