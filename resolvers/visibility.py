"""Read rules for a user's credentials and owned resources, and for datasources."""

from auth.identity import Identity
from db.tables import Permission, User
from db.tables.shares import ResourceType
from resolvers import policy
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, fail


async def is_service_user_owner(ctx: RequestContext, identity: Identity, user: User) -> bool:
    """Tell whether the identity has Owner access to a service user, using the batched loader."""
    if identity.is_super_admin:
        return True
    owners = await ctx.loaders.owner_ids_by_resource.load((ResourceType.SERVICE_USER, user.id))
    return identity.user.id in owners


async def require_credential_reader(ctx: RequestContext, user: User, what: str) -> Identity:
    """Allow the user itself, super admins, owners of a service user, and user managers."""
    identity = policy.require_identity(ctx.identity)
    if identity.user.id == user.id or identity.is_super_admin:
        return identity
    if user.is_service_user:
        if await is_service_user_owner(ctx, identity, user):
            return identity
    elif identity.has_permission(Permission.USERS_MANAGE):
        return identity
    raise fail(
        ErrorCode.FORBIDDEN,
        f"Only '{user.username}' itself, its owners and user managers can read its {what}.",
    )


async def can_see_datasource(ctx: RequestContext, datasource_id: str) -> bool:
    """Tell whether the caller may see a datasource, batching the checks of one request.

    The rule is the one `datasource(...)` applies, so a datasource it reports as not found
    stays hidden wherever a share names it.
    """
    identity = policy.require_identity(ctx.identity)

    async def batch(datasource_ids: list[str]) -> list[bool]:
        visible = await policy.accessible_resource_ids(
            ctx.session, identity, ResourceType.DATASOURCE, datasource_ids
        )
        return [key in visible for key in datasource_ids]

    return await ctx.loaders.custom("datasource.visible", batch).load(datasource_id)
