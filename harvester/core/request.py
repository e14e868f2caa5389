"""The request shape every layer shares: a catalog `Call` filled in for one window and page,
and the dotted paths that read values out of JSON.

Kept below the catalog, the client and the parser so that each of them can use it without
reaching into another stage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol
from urllib.parse import quote

from harvester.core.errors import Fatal


class CallShape(Protocol):
    """What `Request.from_call` reads of a catalog `Call`."""

    @property
    def method(self) -> Literal["GET", "POST"]: ...
    @property
    def host(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> Mapping[str, str | list[str]]: ...
    @property
    def body(self) -> Mapping[str, Any] | str | None: ...


_PLACEHOLDER = re.compile(r"\{([\w.]+)\}")


def _segment(value: Any, path: str) -> str:
    """A value as one path segment: percent-encoded, and never empty, "." or ".." (which URL
    normalisation would turn into another path)."""
    segment = quote(str(value), safe="")
    if segment in ("", ".", ".."):
        raise Fatal(f"{path}: {value!r} from the API cannot name a resource")
    return segment


def _query_value(template: str | list[str], value: Any) -> Any:
    """An array parameter (a list template) as a list, which `requests` repeats per element;
    any other list comma-joined."""
    if isinstance(template, list):
        return [item for part in value for item in (part if isinstance(part, list) else [part])]
    return ",".join(map(str, value)) if isinstance(value, list) else value


def fill_template(template: Any, values: dict[str, Any]) -> Any:
    """Replace "{name}" strings anywhere in a JSON-like template with their values."""
    if isinstance(template, str) and template.startswith("{") and template.endswith("}"):
        return values.get(template[1:-1], template)
    if isinstance(template, dict):
        return {k: fill_template(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill_template(v, values) for v in template]
    return template


@dataclass(frozen=True)
class Request:
    """A concrete request: what a catalog `Call` becomes for one window and page."""

    method: str
    host: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] | list[Any] | None = None

    @classmethod
    def from_call(cls, call: CallShape, **values: Any) -> Request:
        """The call with its placeholders filled: a list into a comma list (ids=1,2,3), or, for an
        array parameter, the parameter repeated; path values percent-encoded."""
        params = {k: _query_value(call.query[k], v) for k, v in fill_template(dict(call.query), values).items()}
        return cls(
            method=call.method,
            host=call.host,
            path=_PLACEHOLDER.sub(lambda m: _segment(values[m.group(1)], call.path), call.path),
            params=params,
            json=fill_template(call.body, values) if call.body is not None else None,
        )

    def with_values(self, in_body: bool, **values: Any) -> Request:
        if in_body:
            assert not isinstance(self.json, list), f"{self.label}: a JSON-array body has no page fields"
            return replace(self, json={**(self.json or {}), **values})
        return replace(self, params={**self.params, **values})

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


_MISSING = object()


def dig(record: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path (`a|b`: the first spelling present), or `default`."""
    if "|" in path:
        for option in path.split("|"):
            found = dig(record, option, _MISSING)
            if found is not _MISSING:
                return found
        return default
    value = record
    for part in path.split(".") if path else ():
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value
