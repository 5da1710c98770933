"""Use case that creates service users: accounts without email or password, owned through shares."""

from db.tables import RoleAttachment, Share, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID
from db.tables.shares import AccessType, ResourceType, grantee_key_for_user
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.users import ensure_username_free
from resolvers.validation import check_text, check_username, collect, username_key

DESCRIPTION_MAX_LENGTH = 1000
DISPLAY_NAME_MAX_LENGTH = 200


async def create_service_user(
    ctx: RequestContext,
    note: AuditNote,
    *,
    username: str,
    description: str,
    display_name: str | None,
) -> User:
    """Create a service user holding SystemRole-DefaultUsers; the creating person owns it."""
    identity = policy.require_person(ctx.identity, "create service users")
    policy.require_super_admin(identity, "create service users")
    collect(
        lambda: check_username(username),
        lambda: check_text(description, "description", DESCRIPTION_MAX_LENGTH, required=True),
        lambda: check_text(display_name, "displayName", DISPLAY_NAME_MAX_LENGTH),
    )
    await ensure_username_free(ctx, username)

    creator = identity.person
    service_user = User(
        username=username,
        username_key=username_key(username),
        display_name=check_text(display_name, "displayName", DISPLAY_NAME_MAX_LENGTH),
        description=check_text(description, "description", DESCRIPTION_MAX_LENGTH, required=True),
        is_service_user=True,
        default_role_id=DEFAULT_USERS_ROLE_ID,
        created_by_id=creator.id,
    )
    ctx.session.add(service_user)
    await ctx.session.flush()
    note.target(ResourceType.SERVICE_USER, service_user.id)
    ctx.session.add(
        RoleAttachment(
            user_id=service_user.id, role_id=DEFAULT_USERS_ROLE_ID, attached_by_id=creator.id
        )
    )
    ctx.session.add(
        Share(
            resource_type=ResourceType.SERVICE_USER,
            resource_id=service_user.id,
            grantee_key=grantee_key_for_user(creator.id),
            grantee_user_id=creator.id,
            access_type=AccessType.OWNER,
            granted_by_id=creator.id,
        )
    )
    await ctx.session.flush()
    return service_user
