"""Paged lists nested under a parent object, batched across parents by dataloaders."""

import asyncio
from collections.abc import Sequence

from sqlalchemy import Select
from sqlalchemy.sql.elements import ColumnElement

from db.paging import Page, count_by_parent, fetch_pages_by_parent
from resolvers.context import RequestContext
from resolvers.pagination import check_first, decode_cursor


async def load_nested_page(
    ctx: RequestContext,
    name: str,
    statement: Select,
    parent_column: ColumnElement,
    parent_id: str,
    sort_columns: Sequence[ColumnElement],
    sort_keys: Sequence[str],
    first: int,
    after: str | None,
    *,
    descending: bool = False,
) -> tuple[Page, int]:
    """Return one parent's page and total; all parents asking alike share two statements."""
    check_first(first)
    position = decode_cursor(after, sort_columns) if after else None
    session = ctx.session

    async def load_pages(parent_ids: list[str]) -> list[Page]:
        pages = await fetch_pages_by_parent(
            session,
            statement,
            parent_column,
            parent_ids,
            sort_columns,
            sort_keys,
            first,
            position,
            descending=descending,
        )
        return [pages[parent_id] for parent_id in parent_ids]

    async def load_counts(parent_ids: list[str]) -> list[int]:
        counts = await count_by_parent(session, statement, parent_column, parent_ids)
        return [counts[parent_id] for parent_id in parent_ids]

    pages = ctx.loaders.custom(f"{name}:page:{first}:{after}", load_pages)
    counts = ctx.loaders.custom(f"{name}:count", load_counts)
    page, total = await asyncio.gather(pages.load(parent_id), counts.load(parent_id))
    return page, total
