"""Keyset pagination over a select, for root lists and for batches of per-parent lists.

A position is the tuple of sort-key values of the last row seen; the sort keys must end in a
unique column so that positions are total. Callers encode positions into opaque cursors.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement


@dataclass
class Page:
    """One slice of an ordered list, with each row's position and whether more rows follow."""

    rows: list[Any]
    positions: list[list[Any]]
    has_next: bool
    has_previous: bool


def _after(columns: Sequence[ColumnElement], values: Sequence[Any], descending: bool):
    # Expands (a, b) > (x, y) into a > x OR (a = x AND b > y), which every dialect plans well.
    clauses = []
    for index, column in enumerate(columns):
        equal = [columns[i] == values[i] for i in range(index)]
        step = column < values[index] if descending else column > values[index]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def _order(columns: Sequence[ColumnElement], descending: bool) -> list[ColumnElement]:
    return [c.desc() if descending else c.asc() for c in columns]


def _position(row: Any, keys: Sequence[str]) -> list[Any]:
    values = []
    for key in keys:
        value = getattr(row, key)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return values


def restore_position(columns: Sequence[ColumnElement], values: Sequence[Any]) -> list[Any]:
    """Convert decoded cursor values back to the column types; raise ValueError on a mismatch.

    Cursors come from clients, so every value is checked to be one the database accepts as a
    parameter: aware datetimes, and text without NUL characters or lone surrogates.
    """
    if len(values) != len(columns):
        raise ValueError("cursor has the wrong number of sort keys")
    restored = []
    for column, value in zip(columns, values, strict=True):
        # A TypeDecorator such as SQLModel's UTCDateTime reports `object`, so its impl is asked.
        python_type = getattr(column.type, "impl_instance", column.type).python_type
        if python_type is datetime:
            restored.append(_restore_datetime(value))
        elif not isinstance(value, python_type):
            raise ValueError(f"cursor value {value!r} is not a {python_type.__name__}")
        elif isinstance(value, str):
            restored.append(_check_text(value))
        else:
            restored.append(value)
    return restored


def _restore_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"cursor value {value!r} is not a timestamp")
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError(f"cursor timestamp {value!r} has no time zone")
    return moment


def _check_text(value: str) -> str:
    # PostgreSQL rejects NUL in text, and UTF-8 cannot encode a lone surrogate.
    if "\x00" in value:
        raise ValueError("cursor text contains a NUL character")
    value.encode("utf-8")
    return value


async def fetch_page(
    session: AsyncSession,
    statement: Select,
    sort_columns: Sequence[ColumnElement],
    sort_keys: Sequence[str],
    first: int,
    after: Sequence[Any] | None,
    *,
    descending: bool = False,
) -> Page:
    """Fetch up to `first` rows of a single-entity select after a position."""
    if after is not None:
        statement = statement.where(_after(sort_columns, after, descending))
    statement = statement.order_by(*_order(sort_columns, descending)).limit(first + 1)
    rows = list((await session.execute(statement)).scalars())
    page = rows[:first]
    return Page(page, [_position(r, sort_keys) for r in page], len(rows) > first, after is not None)


async def count_rows(session: AsyncSession, statement: Select) -> int:
    """Count the rows a select returns."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return (await session.execute(counted)).scalar_one()


async def fetch_pages_by_parent(
    session: AsyncSession,
    statement: Select,
    parent_column: ColumnElement,
    parent_ids: Sequence[str],
    sort_columns: Sequence[ColumnElement],
    sort_keys: Sequence[str],
    first: int,
    after: Sequence[Any] | None,
    *,
    descending: bool = False,
) -> dict[str, Page]:
    """Fetch one page per parent in a single statement, numbering rows per parent.

    `statement` selects one entity and `parent_column`; each parent gets at most `first` rows
    after the same position.
    """
    statement = statement.where(parent_column.in_(parent_ids))
    if after is not None:
        statement = statement.where(_after(sort_columns, after, descending))
    row_number = (
        func.row_number()
        .over(partition_by=parent_column, order_by=_order(sort_columns, descending))
        .label("row_number")
    )
    numbered = statement.add_columns(row_number).subquery()
    entity = statement.column_descriptions[0]["entity"]
    alias = aliased(entity, numbered)
    query = (
        select(alias, numbered.c[parent_column.key], numbered.c.row_number)
        .where(numbered.c.row_number <= first + 1)
        .order_by(numbered.c[parent_column.key], numbered.c.row_number)
    )
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row, parent_id, _ in (await session.execute(query)).all():
        grouped[parent_id].append(row)
    pages = {}
    for parent_id in parent_ids:
        rows = grouped.get(parent_id, [])
        page = rows[:first]
        pages[parent_id] = Page(
            page, [_position(r, sort_keys) for r in page], len(rows) > first, after is not None
        )
    return pages


async def count_by_parent(
    session: AsyncSession,
    statement: Select,
    parent_column: ColumnElement,
    parent_ids: Sequence[str],
) -> dict[str, int]:
    """Count the rows of a select per parent, in one statement."""
    subquery = statement.where(parent_column.in_(parent_ids)).subquery()
    parent = subquery.c[parent_column.key]
    counted = select(parent, func.count()).group_by(parent)
    counts = dict((await session.execute(counted)).all())
    return {parent_id: counts.get(parent_id, 0) for parent_id in parent_ids}
