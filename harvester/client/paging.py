"""Paging strategies, picked per endpoint in the catalog.

Each one prepares the first request, says where the next page starts, and resumes from a
saved cursor, so a task that must wait for the rate limiter re-queues itself with the cursor
and carries on from the page it had reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from harvester.client.http import Request


class Paginator(Protocol):
    def first(self, request: Request, cursor: dict[str, Any] | None = None) -> Request: ...

    def next(self, request: Request, records: list[Any]) -> Request | None: ...

    def cursor(self, request: Request) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SinglePage:
    """The whole answer comes in one response."""

    def first(self, request: Request, cursor: dict[str, Any] | None = None) -> Request:
        return request

    def next(self, request: Request, records: list[Any]) -> Request | None:
        return None

    def cursor(self, request: Request) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class OffsetPaginator:
    """limit/offset paging that stops at the first short page."""

    page_size: int = 1000
    limit_param: str = "limit"
    offset_param: str = "offset"
    in_body: bool = True

    def first(self, request: Request, cursor: dict[str, Any] | None = None) -> Request:
        start = {self.limit_param: self.page_size, self.offset_param: 0}
        return request.with_values(self.in_body, **(cursor or start))

    def next(self, request: Request, records: list[Any]) -> Request | None:
        if len(records) < self.page_size:
            return None
        offset = self.cursor(request)[self.offset_param] + self.page_size
        return request.with_values(self.in_body, **{self.offset_param: offset})

    def cursor(self, request: Request) -> dict[str, Any]:
        values = request.json if self.in_body else request.params
        assert values is not None
        return {self.limit_param: values[self.limit_param], self.offset_param: values[self.offset_param]}
