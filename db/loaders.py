"""Per-request dataloaders: each batches the look-ups of one resolver level into one statement."""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.clock import utcnow
from db.tables import (
    AccessToken,
    Datasource,
    Role,
    RoleAttachment,
    Session,
    Share,
    Tag,
    TagMember,
    User,
)
from db.tables.shares import AccessType


class _FunctionLoader(DataLoader):
    def __init__(self, batch: Callable[[list[Any]], Awaitable[list[Any]]]):
        super().__init__()
        self._batch = batch

    async def batch_load_fn(self, keys):
        return await self._batch(list(keys))


def _by_key(rows: Sequence[Any], attribute: str, keys: list[Hashable]) -> list[Any]:
    found = {getattr(row, attribute): row for row in rows}
    return [found.get(key) for key in keys]


def _grouped(pairs: Sequence[tuple[Hashable, Any]], keys: list[Hashable]) -> list[list[Any]]:
    groups: dict[Hashable, list[Any]] = defaultdict(list)
    for key, row in pairs:
        groups[key].append(row)
    return [groups.get(key, []) for key in keys]


class Loaders:
    """The dataloaders of one request; create a new set after each committed mutation."""

    def __init__(self, session: AsyncSession):
        self.session = session
        self.user = self._rows_by_id(User)
        self.role = self._rows_by_id(Role)
        self.tag = self._rows_by_id(Tag)
        self.datasource = self._rows_by_id(Datasource)
        self.roles_by_user = _FunctionLoader(self._roles_by_user)
        self.tags_by_user = _FunctionLoader(self._tags_by_user)
        self.shares_by_resource = _FunctionLoader(self._shares_by_resource)
        self.shares_by_tag_grantee = _FunctionLoader(self._shares_by_tag_grantee)
        self.owner_ids_by_resource = _FunctionLoader(self._owner_ids_by_resource)
        self.access_tokens_by_user = _FunctionLoader(self._access_tokens_by_user)
        self.sessions_by_user = _FunctionLoader(self._sessions_by_user)
        self._custom: dict[str, DataLoader] = {}

    def custom(self, name: str, batch: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader:
        """Return the request's loader registered under `name`, creating it on first use.

        Paged nested lists use this: their batch function closes over the page arguments.
        """
        loader = self._custom.get(name)
        if loader is None:
            loader = self._custom[name] = _FunctionLoader(batch)
        return loader

    def _rows_by_id(self, table: type) -> DataLoader:
        async def batch(keys: list[str]) -> list[Any]:
            rows = (await self.session.execute(select(table).where(table.id.in_(keys)))).scalars()
            return _by_key(list(rows), "id", keys)

        return _FunctionLoader(batch)

    async def _roles_by_user(self, user_ids: list[str]) -> list[list[Role]]:
        statement = (
            select(RoleAttachment.user_id, Role)
            .join(Role, Role.id == RoleAttachment.role_id)
            .where(RoleAttachment.user_id.in_(user_ids))
            .order_by(Role.name_key)
        )
        return _grouped((await self.session.execute(statement)).all(), user_ids)

    async def _tags_by_user(self, user_ids: list[str]) -> list[list[Tag]]:
        statement = (
            select(TagMember.user_id, Tag)
            .join(Tag, Tag.id == TagMember.tag_id)
            .where(TagMember.user_id.in_(user_ids))
            .order_by(Tag.tag_key, Tag.tag_value)
        )
        return _grouped((await self.session.execute(statement)).all(), user_ids)

    async def _shares_by_resource(self, keys: list[tuple[str, str]]) -> list[list[Share]]:
        resource_ids = [resource_id for _, resource_id in keys]
        statement = (
            select(Share).where(Share.resource_id.in_(resource_ids)).order_by(Share.created_at)
        )
        shares = (await self.session.execute(statement)).scalars().all()
        return _grouped([((s.resource_type, s.resource_id), s) for s in shares], keys)

    async def _shares_by_tag_grantee(self, tag_ids: list[str]) -> list[list[Share]]:
        statement = (
            select(Share).where(Share.grantee_tag_id.in_(tag_ids)).order_by(Share.created_at)
        )
        shares = (await self.session.execute(statement)).scalars().all()
        return _grouped([(s.grantee_tag_id, s) for s in shares], tag_ids)

    async def _owner_ids_by_resource(self, keys: list[tuple[str, str]]) -> list[list[str]]:
        """Return the users with Owner access to each resource, directly or through a tag."""
        resource_ids = [resource_id for _, resource_id in keys]
        direct = select(Share.resource_type, Share.resource_id, Share.grantee_user_id).where(
            Share.resource_id.in_(resource_ids),
            Share.access_type == AccessType.OWNER,
            Share.grantee_user_id.is_not(None),
        )
        through_tags = (
            select(Share.resource_type, Share.resource_id, TagMember.user_id)
            .join(TagMember, TagMember.tag_id == Share.grantee_tag_id)
            .where(Share.resource_id.in_(resource_ids), Share.access_type == AccessType.OWNER)
        )
        rows = (await self.session.execute(direct.union(through_tags))).all()
        owners: dict[tuple[str, str], list[str]] = defaultdict(list)
        for resource_type, resource_id, user_id in rows:
            if user_id not in owners[(resource_type, resource_id)]:
                owners[(resource_type, resource_id)].append(user_id)
        return [sorted(owners.get(key, [])) for key in keys]

    async def _access_tokens_by_user(self, user_ids: list[str]) -> list[list[AccessToken]]:
        statement = (
            select(AccessToken)
            .where(AccessToken.user_id.in_(user_ids))
            .order_by(AccessToken.created_at, AccessToken.id)
        )
        tokens = (await self.session.execute(statement)).scalars().all()
        return _grouped([(t.user_id, t) for t in tokens], user_ids)

    async def _sessions_by_user(self, user_ids: list[str]) -> list[list[Session]]:
        statement = (
            select(Session)
            .where(
                Session.user_id.in_(user_ids),
                Session.revoked_at.is_(None),
                Session.expires_at > utcnow(),
            )
            .order_by(Session.created_at.desc(), Session.id)
        )
        sessions = (await self.session.execute(statement)).scalars().all()
        return _grouped([(s.user_id, s) for s in sessions], user_ids)
