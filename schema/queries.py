"""Root queries about identities, users, roles and tags."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from db import tables
from resolvers import datasources, policy, roles, tags, users
from resolvers.errors import ErrorCode, UseCaseError, fail, not_found
from resolvers.pagination import DEFAULT_PAGE_SIZE
from resolvers.validation import is_storable
from resolvers.visibility import require_credential_reader
from schema.connection import Connection
from schema.node import Node, from_global_id
from schema.types.credentials import AccessToken, ServiceUserToken, Session
from schema.types.datasources import Datasource
from schema.types.roles import Role
from schema.types.tags import Tag
from schema.types.users import User


@strawberry.type(description="Who the request acts as.")
class Me:
    user: User
    active_role: Role
    actor: User | None = strawberry.field(
        description="The person who assumed the service user; null for direct sign-in."
    )
    expires_at: datetime | None = strawberry.field(description="When the credential expires.")
    credential: str = strawberry.field(description="SESSION, ACCESS_TOKEN or SERVICE_USER_TOKEN.")


@strawberry.input(description="Conditions of the user list; all given conditions must hold.")
class UserFilter:
    is_service_user: bool | None = None
    enabled: bool | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the username or email, compared without case."
    )


# Node types whose objects `node` does not load yet; it returns null for their global ids.
# NOTE: service-user tokens, shares and audit events have their own visibility rules. Their
# queries apply them, and `node` returns null for these types until it applies them too.
UNLOADED_NODE_TYPES = frozenset({"ServiceUserToken", "Share", "AuditEvent"})


async def _load_node(info: Info, type_name: str, object_id: str) -> Node | None:
    """Load the object a global id names; None when it is missing or hidden from the caller."""
    ctx = info.context
    if type_name == "User":
        user = await ctx.loaders.user.load(object_id)
        return User.from_row(user) if user else None
    if type_name == "Role":
        role = await ctx.loaders.role.load(object_id)
        return Role.from_row(role) if role else None
    if type_name == "Tag":
        tag = await ctx.loaders.tag.load(object_id)
        return Tag.from_row(tag) if tag else None
    if type_name == "Datasource":
        try:
            datasource = await datasources.find_datasource(ctx, object_id)
        except UseCaseError:
            return None
        return Datasource.from_row(datasource)
    if type_name == "AccessToken":
        token = await ctx.session.get(tables.AccessToken, object_id)
        visible = token is not None and await _may_read_credentials(ctx, token.user_id)
        return AccessToken.from_row(token) if visible else None
    if type_name == "Session":
        session = await ctx.session.get(tables.Session, object_id)
        visible = session is not None and await _may_read_credentials(ctx, session.user_id)
        return Session.from_row(session) if visible else None
    if type_name in UNLOADED_NODE_TYPES:
        return None
    raise fail(
        ErrorCode.BAD_USER_INPUT,
        f"The global id names the type '{type_name}', which has no objects; pass the `id` "
        "field of an object.",
        "id",
    )


async def _may_read_credentials(ctx, user_id: str) -> bool:
    owner = await ctx.loaders.user.load(user_id)
    if owner is None:
        return False
    try:
        await require_credential_reader(ctx, owner, "credentials")
    except UseCaseError:
        return False
    return True


@strawberry.type
class IdentityQueries:
    @strawberry.field(description="The identity of this request.")
    def me(self, info: Info) -> Me:
        identity = policy.require_identity(info.context.identity)
        return Me(
            user=User.from_row(identity.user),
            active_role=Role.from_row(identity.role),
            actor=User.from_row(identity.actor) if identity.actor else None,
            expires_at=identity.expires_at,
            credential=identity.credential.value,
        )

    @strawberry.field(description="Fetch any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        policy.require_identity(info.context.identity)
        type_name, object_id = from_global_id(id)
        return await _load_node(info, type_name, object_id)

    @strawberry.field(description="Users ordered by username.")
    async def users(
        self,
        info: Info,
        filter: UserFilter | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[User]:
        requested = filter or UserFilter()
        page, total = await users.list_users(
            info.context,
            users.UserFilter(requested.is_service_user, requested.enabled, requested.search),
            first,
            after,
        )
        return Connection.from_page(page, total, User.from_row)

    @strawberry.field(description="Service users ordered by username.")
    async def service_users(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[User]:
        page, total = await users.list_users(
            info.context, users.UserFilter(is_service_user=True), first, after
        )
        return Connection.from_page(page, total, User.from_row)

    @strawberry.field(description="One user by plain id; NOT_FOUND when there is none.")
    async def user(self, info: Info, user_id: strawberry.ID) -> User:
        return User.from_row(await users.find_user(info.context, user_id))

    @strawberry.field(description="Roles ordered by name.")
    async def roles(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Role]:
        page, total = await roles.list_roles(info.context, first, after)
        return Connection.from_page(page, total, Role.from_row)

    @strawberry.field(description="One role by plain id.")
    async def role(self, info: Info, role_id: strawberry.ID) -> Role:
        policy.require_identity(info.context.identity)
        row = await info.context.loaders.role.load(role_id) if is_storable(role_id) else None
        if row is None:
            raise not_found("role", role_id, "roleId")
        return Role.from_row(row)

    @strawberry.field(description="Tags ordered by key and value.")
    async def tags(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Tag]:
        page, total = await tags.list_tags(info.context, first, after)
        return Connection.from_page(page, total, Tag.from_row)

    @strawberry.field(description="One tag by plain id.")
    async def tag(self, info: Info, tag_id: strawberry.ID) -> Tag:
        policy.require_identity(info.context.identity)
        row = await info.context.loaders.tag.load(tag_id) if is_storable(tag_id) else None
        if row is None:
            raise not_found("tag", tag_id, "tagId")
        return Tag.from_row(row)


# Referenced so that Strawberry registers the credential types even before a field uses them.
CREDENTIAL_TYPES = (AccessToken, ServiceUserToken, Session)
