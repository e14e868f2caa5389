"""Paging strategies, picked per endpoint in the catalog.

Each one prepares the first request, says where the next page starts (from the number of
records and, where `reads_body`, the whole answer), and resumes from a saved cursor, so a task
that must wait for the rate limiter re-queues itself with the cursor and carries on from the
page it had reached. An answer whose paginator reads only the count can be read record by
record, never whole (`pipeline.parse.streamed_records`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from harvester.core.request import Request, dig


class Paginator(Protocol):
    reads_body: ClassVar[bool]

    def first(self, request: Request, cursor: dict[str, Any] | None = None) -> Request: ...

    def next(self, request: Request, count: int, body: Any) -> Request | None: ...

    def cursor(self, request: Request) -> dict[str, Any]: ...


def _values(request: Request, in_body: bool) -> dict[str, Any]:
    values = request.json if in_body else request.params
    assert isinstance(values, dict), f"{request.label}: page fields need an object body"
    return values


@dataclass(frozen=True)
class SinglePage:
    """The whole answer comes in one response."""

    reads_body: ClassVar[bool] = False

    def first(self, request: Request, cursor: dict[str, Any] | None = None) -> Request:
        return request

    def next(self, request: Request, count: int, body: Any) -> Request | None:
        return None

    def cursor(self, request: Request) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class OffsetPaginator:
    """limit/offset paging that stops at the first short page."""

    reads_body: ClassVar[bool] = False

    page_size: int = 1000
    limit_param: str = "limit"
    offset_param: str = "offset"
    in_body: bool = True

    def first(self, request: Request, cursor: dict[str, Any] | None = None) -> Request:
        start = {self.limit_param: self.page_size, self.offset_param: 0}
        return request.with_values(self.in_body, **(cursor or start))

    def next(self, request: Request, count: int, body: Any) -> Request | None:
        if count < self.page_size:
            return None
        offset = self.cursor(request)[self.offset_param] + self.page_size
        return request.with_values(self.in_body, **{self.offset_param: offset})

    def cursor(self, request: Request) -> dict[str, Any]:
        values = _values(request, self.in_body)
        return {self.limit_param: values[self.limit_param], self.offset_param: values[self.offset_param]}


@dataclass(frozen=True)
class PagePaginator:
    """Numbered pages while the answer says there is a next one (WB funnel v2: `isNextPage`)."""

    reads_body: ClassVar[bool] = True

    param: str = "page"
    first_page: int = 1
    more: str = "data.isNextPage"
    in_body: bool = True

    def first(self, request: Request, cursor: dict[str, Any] | None = None) -> Request:
        return request.with_values(self.in_body, **(cursor or {self.param: self.first_page}))

    def next(self, request: Request, count: int, body: Any) -> Request | None:
        if not count or dig(body, self.more) is not True:
            return None
        return request.with_values(self.in_body, **{self.param: self.cursor(request)[self.param] + 1})

    def cursor(self, request: Request) -> dict[str, Any]:
        return {self.param: _values(request, self.in_body)[self.param]}


@dataclass(frozen=True)
class TokenPaginator:
    """Opaque next-page tokens (Yandex Market: `result.paging.nextPageToken`); no token = last page."""

    reads_body: ClassVar[bool] = True

    param: str = "page_token"
    next_token: str = "result.paging.nextPageToken"
    in_body: bool = False

    def first(self, request: Request, cursor: dict[str, Any] | None = None) -> Request:
        return request.with_values(self.in_body, **cursor) if cursor else request

    def next(self, request: Request, count: int, body: Any) -> Request | None:
        token = dig(body, self.next_token)
        return request.with_values(self.in_body, **{self.param: token}) if token else None

    def cursor(self, request: Request) -> dict[str, Any]:
        token = _values(request, self.in_body).get(self.param)
        return {self.param: token} if token else {}
