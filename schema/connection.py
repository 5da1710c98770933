"""Relay cursor connections built from pages of rows."""

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from db.paging import Page
from resolvers.pagination import encode_cursor

NodeType = TypeVar("NodeType")


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeType]):
    cursor: str
    node: NodeType


@strawberry.type
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(
        cls, page: Page, total_count: int, convert: Callable[[Any], NodeType]
    ) -> "Connection[NodeType]":
        """Build a connection from a page of rows, converting each row to its GraphQL type."""
        cursors = [encode_cursor(p) for p in page.positions]
        edges = [Edge(cursor=c, node=convert(r)) for c, r in zip(cursors, page.rows, strict=True)]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
            total_count=total_count,
        )
