"""Who may read credentials and ownership details of a user."""

from auth.identity import Identity
from db.tables import Permission, User
from db.tables.shares import ResourceType
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, fail
from resolvers.policy import require_identity


async def is_service_user_owner(ctx: RequestContext, identity: Identity, user: User) -> bool:
    """Tell whether the identity has Owner access to a service user, using the batched loader."""
    if identity.is_super_admin:
        return True
    owners = await ctx.loaders.owner_ids_by_resource.load((ResourceType.SERVICE_USER, user.id))
    return identity.user.id in owners


async def require_credential_reader(ctx: RequestContext, user: User, what: str) -> Identity:
    """Allow the user itself, super admins, owners of a service user, and user managers."""
    identity = require_identity(ctx.identity)
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
