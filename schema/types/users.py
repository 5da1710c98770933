"""The `User` type: regular users and service users alike."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from db import tables
from db.tables.shares import AccessType
from resolvers.nested import load_nested_page
from resolvers.pagination import DEFAULT_PAGE_SIZE
from resolvers.visibility import require_credential_reader
from schema.connection import Connection
from schema.node import Node, to_global_id

if TYPE_CHECKING:
    from schema.types.credentials import AccessToken, ServiceUserToken, Session
    from schema.types.roles import Role
    from schema.types.shares import Share
    from schema.types.tags import Tag

RoleRef = Annotated["Role", strawberry.lazy("schema.types.roles")]
TagRef = Annotated["Tag", strawberry.lazy("schema.types.tags")]
ShareRef = Annotated["Share", strawberry.lazy("schema.types.shares")]
AccessTokenRef = Annotated["AccessToken", strawberry.lazy("schema.types.credentials")]
ServiceUserTokenRef = Annotated["ServiceUserToken", strawberry.lazy("schema.types.credentials")]
SessionRef = Annotated["Session", strawberry.lazy("schema.types.credentials")]


@strawberry.type(description="A person (regular user) or a service user.")
class User(Node):
    user_id: strawberry.ID
    username: str
    display_name: str | None
    email: str | None = strawberry.field(description="Null for service users.")
    description: str | None
    is_service_user: bool
    enabled: bool
    created_at: datetime
    row: strawberry.Private[tables.User]

    @classmethod
    def from_row(cls, row: tables.User) -> "User":
        """Wrap a user row."""
        return cls(
            id=to_global_id("User", row.id),
            user_id=strawberry.ID(row.id),
            username=row.username,
            display_name=row.display_name,
            email=row.email,
            description=row.description,
            is_service_user=row.is_service_user,
            enabled=row.enabled,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The user who created this one; null for bootstrapped users.")
    async def created_by(self, info: Info) -> "User | None":
        if self.row.created_by_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.created_by_id)
        return User.from_row(row) if row else None

    @strawberry.field(description="The role requests act under when they send no role header.")
    async def default_role(self, info: Info) -> RoleRef | None:
        from schema.types.roles import Role

        if self.row.default_role_id is None:
            return None
        row = await info.context.loaders.role.load(self.row.default_role_id)
        return Role.from_row(row) if row else None

    @strawberry.field(description="Roles attached to the user, by name.")
    async def roles(self, info: Info) -> list[RoleRef]:
        from schema.types.roles import Role

        rows = await info.context.loaders.roles_by_user.load(self.row.id)
        return [Role.from_row(r) for r in rows]

    @strawberry.field(description="Tags the user has access to.")
    async def tags(self, info: Info) -> list[TagRef]:
        from schema.types.tags import Tag

        rows = await info.context.loaders.tags_by_user.load(self.row.id)
        return [Tag.from_row(r) for r in rows]

    @strawberry.field(description="Shares on this service user (empty for regular users).")
    async def shares(self, info: Info) -> list[ShareRef]:
        from schema.types.shares import Share

        if not self.row.is_service_user:
            return []
        rows = await info.context.loaders.shares_by_resource.load(
            (tables.ResourceType.SERVICE_USER, self.row.id)
        )
        return [Share.from_row(r) for r in rows]

    @strawberry.field(
        description="OWNER shares granted directly to this user, oldest first; for the user, "
        "its owners and managers."
    )
    async def owned_resources(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[ShareRef] | None:
        from schema.types.shares import Share

        await require_credential_reader(info.context, self.row, "owned resources")
        statement = select(tables.Share).where(tables.Share.access_type == AccessType.OWNER)
        page, total = await load_nested_page(
            info.context,
            "user.ownedResources",
            statement,
            tables.Share.grantee_user_id,
            self.row.id,
            (tables.Share.created_at, tables.Share.id),
            ("created_at", "id"),
            first,
            after,
        )
        return Connection.from_page(page, total, Share.from_row)

    @strawberry.field(description="Personal access tokens; for the user, its owners and managers.")
    async def access_tokens(self, info: Info) -> list[AccessTokenRef] | None:
        from schema.types.credentials import AccessToken

        await require_credential_reader(info.context, self.row, "access tokens")
        rows = await info.context.loaders.access_tokens_by_user.load(self.row.id)
        return [AccessToken.from_row(r) for r in rows]

    @strawberry.field(description="Issued service-user tokens, newest first; for owners.")
    async def assumption_tokens(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[ServiceUserTokenRef] | None:
        from schema.types.credentials import ServiceUserToken

        await require_credential_reader(info.context, self.row, "service-user tokens")
        table = tables.ServiceUserToken
        page, total = await load_nested_page(
            info.context,
            "user.assumptionTokens",
            select(table),
            table.service_user_id,
            self.row.id,
            (table.issued_at, table.id),
            ("issued_at", "id"),
            first,
            after,
            descending=True,
        )
        return Connection.from_page(page, total, ServiceUserToken.from_row)

    @strawberry.field(description="Sessions not signed out or expired; service users have none.")
    async def active_sessions(self, info: Info) -> list[SessionRef] | None:
        from schema.types.credentials import Session

        await require_credential_reader(info.context, self.row, "sessions")
        rows = await info.context.loaders.sessions_by_user.load(self.row.id)
        return [Session.from_row(r) for r in rows]
