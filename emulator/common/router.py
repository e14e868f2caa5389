"""A tiny router: each routes module fills its own `Router` with the @router.route decorator and
the server joins those tables explicitly; handlers get a parsed Request. Keeping HTTP plumbing
out of the handlers lets them read like the API description."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from email.message import Message
from itertools import islice
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    sid: str = ""
    args: dict[str, list[str]] = field(default_factory=dict)  # every value of a repeated query parameter
    key: Any = None  # a Yandex Market request's parsed Api-Key (ym.auth.YmKey)

    def json(self) -> Any:
        """The body as JSON; ValueError if it is not."""
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterator[bytes] | None = None  # a body too big to hold: made as it is sent, chunked

    def whole(self) -> Response:
        """This answer with its body in memory, for what must read it (a recorded exchange, a
        truncated body); its chunks can be read only once."""
        return self if self.chunks is None else replace(self, body=b"".join(self.chunks), chunks=None)


def truncate(body: bytes) -> bytes:
    """A valid prefix of a JSON document cut in half can never parse (the malformed-body fault)."""
    return body[: len(body) // 2] if len(body) > 1 else b"{"


JSON = "application/json; charset=utf-8"


def json_body(payload: Any) -> bytes:
    """A JSON answer's bytes: UTF-8, compact, as the APIs send them."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(status: int, payload: Any, content_type: str = "application/json") -> Response:
    return Response(status, json_body(payload), f"{content_type}; charset=utf-8")


_ITEMS_A_CHUNK = 100


def json_array_stream(items: Iterable[Any]) -> Response | None:
    """A 200 whose body is the JSON array of `items`, made `_ITEMS_A_CHUNK` items at a time as
    it is sent (the bytes `json_response` would send); None when there are no items. A big
    seller's paid-storage file, a row per product, warehouse and day, is hundreds of MB."""
    rest = iter(items)
    first = next(rest, None)
    if first is None:
        return None

    def chunks() -> Iterator[bytes]:
        yield b"[" + json_body(first)
        while text := b",".join(json_body(item) for item in islice(rest, _ITEMS_A_CHUNK)):
            yield b"," + text
        yield b"]"

    return Response(200, content_type=JSON, chunks=chunks())


class Refusal(Exception):
    """A request refused deep inside a handler (a check of its body or query): raised with the
    answer, so the handler reads as the happy path and its checks return plain values."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


# The first argument is the emulator serving the request, as the handler's module types it: a
# protocol of common.host (Host) or of the marketplace's host module, never the server itself.
Handler = Callable[[Any, Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    group: str | None
    scope: str | None
    marketplace: str = "wb"  # whose auth and limits apply: "wb" or "ym"

    @property
    def key(self) -> str:
        """How stats name the route: method and path template."""
        return f"{self.method} {self.template}"

    @property
    def is_control(self) -> bool:
        """Control routes have no limit group: no auth, never rate limited."""
        return self.group is None


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


class Router:
    """An ordered route table. Importing a routes module registers nothing outside its own table."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self.routes: list[Route] = list(routes)

    @classmethod
    def join(cls, *routers: Router) -> Router:
        """One table holding the routes of several, in order."""
        return cls(r for router in routers for r in router.routes)

    def route(self, method: str, template: str, group: str | None = None, scope: str | None = None,
              marketplace: str = "wb"):
        """Register a handler; a data route names its limit group, token scope and marketplace."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, template, _compile(template), handler, group, scope, marketplace))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for r in self.routes:
            if r.method == method and (m := r.pattern.match(path)):
                return r, m.groupdict()
        return None


def answer(handler: Handler, emu: Any, req: Request) -> Response:
    """The handler's response, or the one a check refused the request with."""
    try:
        return handler(emu, req)
    except Refusal as refusal:
        return refusal.response
