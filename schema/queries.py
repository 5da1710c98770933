"""Root queries about identities, users, roles and tags."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import policy, roles, tags, users
from resolvers.errors import ErrorCode, fail
from resolvers.pagination import DEFAULT_PAGE_SIZE
from schema.connection import Connection
from schema.node import Node, from_global_id
from schema.types.credentials import AccessToken, ServiceUserToken, Session
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


async def _load_node(info: Info, type_name: str, object_id: str):
    loaders = info.context.loaders
    converters = {
        "User": (loaders.user, User.from_row),
        "Role": (loaders.role, Role.from_row),
        "Tag": (loaders.tag, Tag.from_row),
    }
    from schema.types.datasources import Datasource

    converters["Datasource"] = (loaders.datasource, Datasource.from_row)
    if type_name not in converters:
        return None
    loader, convert = converters[type_name]
    row = await loader.load(object_id)
    return convert(row) if row else None


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
        wanted = filter or UserFilter()
        page, total = await users.list_users(
            info.context,
            users.UserFilter(wanted.is_service_user, wanted.enabled, wanted.search),
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
        row = await info.context.loaders.role.load(role_id)
        if row is None:
            raise fail(ErrorCode.NOT_FOUND, f"No role has the id '{role_id}'.", "roleId")
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
        row = await info.context.loaders.tag.load(tag_id)
        if row is None:
            raise fail(ErrorCode.NOT_FOUND, f"No tag has the id '{tag_id}'.", "tagId")
        return Tag.from_row(row)


# Referenced so that Strawberry registers the credential types even before a field uses them.
CREDENTIAL_TYPES = (AccessToken, ServiceUserToken, Session)
