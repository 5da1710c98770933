"""A small installation for authorisation tests, written straight into the database.

Callers: a super admin, an owner through a direct share, an owner through a tag, an unrelated
user, a disabled user who still has a session token, and a service user that authenticates
with a personal access token. Targets: service users `robot` (enabled) and `retired`
(disabled) and datasource `sales`, each owned by `olive` directly and by tag `team=ops`,
whose only member is `tess`; regular users `vera` (enabled) and `dora` (disabled).
"""

from dataclasses import dataclass, field

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_session_factory
from db.tables import Datasource, Permission, Role, RoleAttachment, Share, Tag, TagMember, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from db.tables.shares import AccessType, ResourceType, grantee_key_for_tag, grantee_key_for_user
from tests.support.identities import access_token_row, session_row

# Callers, in the order the tables of expectations list them.
SUPER_ADMIN = "super_admin"
DIRECT_OWNER = "direct_owner"
TAG_OWNER = "tag_owner"
UNRELATED = "unrelated"
DISABLED = "disabled"
SERVICE_USER = "service_user"
CALLERS = (SUPER_ADMIN, DIRECT_OWNER, TAG_OWNER, UNRELATED, DISABLED, SERVICE_USER)


@dataclass
class World:
    """Ids of everything the world holds, and each caller's credential."""

    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)
    role_ids: dict[str, str] = field(default_factory=dict)
    tag_id: str = ""
    datasource_id: str = ""

    def token(self, caller: str) -> str:
        """Return the credential of a caller."""
        return self.tokens[caller]

    def id(self, username: str) -> str:
        """Return the id of a user or service user by username."""
        return self.user_ids[username]


def make_role(name: str, permissions: list[Permission]) -> Role:
    """Return a new custom role row."""
    return Role(name=name, name_key=name.lower(), permissions=[p.value for p in permissions])


def _user(username: str, *, service_user: bool = False, default_role_id: str) -> User:
    return User(
        username=username,
        username_key=username.lower(),
        email=None if service_user else f"{username}@example.com",
        email_key=None if service_user else f"{username}@example.com",
        description=f"{username} for tests" if service_user else None,
        is_service_user=service_user,
        default_role_id=default_role_id,
    )


def _owner_shares(resource_type: ResourceType, resource_id: str, owner: User, tag: Tag):
    return [
        Share(
            resource_type=resource_type,
            resource_id=resource_id,
            grantee_key=grantee_key_for_user(owner.id),
            grantee_user_id=owner.id,
            access_type=AccessType.OWNER,
        ),
        Share(
            resource_type=resource_type,
            resource_id=resource_id,
            grantee_key=grantee_key_for_tag(tag.id),
            grantee_tag_id=tag.id,
            access_type=AccessType.OWNER,
        ),
    ]


async def build_world(engine: AsyncEngine) -> World:
    """Write the world into an empty database and return its ids and credentials."""
    world = World()
    viewer = make_role("Viewer", [])
    reporting = make_role("Reporting", [])
    automation = make_role("Automation", [Permission.DATASOURCES_CREATE, Permission.APP_BI])
    roles = {"Viewer": viewer, "Reporting": reporting, "Automation": automation}

    people_roles = [DEFAULT_USERS_ROLE_ID, viewer.id, reporting.id]
    layout = {
        # username: (service user?, attached role ids, default role id)
        "ann": (False, [SUPER_ADMIN_ROLE_ID, DEFAULT_USERS_ROLE_ID], SUPER_ADMIN_ROLE_ID),
        "olive": (False, people_roles, DEFAULT_USERS_ROLE_ID),
        "tess": (False, people_roles, DEFAULT_USERS_ROLE_ID),
        "uma": (False, people_roles, DEFAULT_USERS_ROLE_ID),
        "dora": (False, [DEFAULT_USERS_ROLE_ID], DEFAULT_USERS_ROLE_ID),
        "vera": (False, [DEFAULT_USERS_ROLE_ID], DEFAULT_USERS_ROLE_ID),
        "agent": (True, [*people_roles, automation.id], automation.id),
        "robot": (True, [DEFAULT_USERS_ROLE_ID, reporting.id], DEFAULT_USERS_ROLE_ID),
        "retired": (True, [DEFAULT_USERS_ROLE_ID], DEFAULT_USERS_ROLE_ID),
    }
    users = {
        name: _user(name, service_user=kind, default_role_id=default)
        for name, (kind, _, default) in layout.items()
    }
    tag = Tag(tag_key="team", tag_value="ops")
    sales = Datasource(name="sales")

    async with create_session_factory(engine)() as db:
        db.add_all(roles.values())
        await db.flush()
        db.add_all(users.values())
        db.add(tag)
        db.add(sales)
        await db.flush()
        for name, (_, role_ids, _) in layout.items():
            db.add_all(RoleAttachment(user_id=users[name].id, role_id=r) for r in role_ids)
        db.add(TagMember(tag_id=tag.id, user_id=users["tess"].id))
        for resource_type, resource_id in (
            (ResourceType.SERVICE_USER, users["robot"].id),
            (ResourceType.SERVICE_USER, users["retired"].id),
            (ResourceType.DATASOURCE, sales.id),
        ):
            db.add_all(_owner_shares(resource_type, resource_id, users["olive"], tag))

        for caller, name in (
            (SUPER_ADMIN, "ann"),
            (DIRECT_OWNER, "olive"),
            (TAG_OWNER, "tess"),
            (UNRELATED, "uma"),
            (DISABLED, "dora"),
        ):
            world.tokens[caller], session = session_row(users[name].id)
            db.add(session)
        world.tokens[SERVICE_USER], token = access_token_row(users["agent"].id, automation.id)
        db.add(token)
        users["dora"].enabled = False
        users["retired"].enabled = False
        await db.commit()

    world.user_ids = {name: user.id for name, user in users.items()}
    world.role_ids = {name: role.id for name, role in roles.items()}
    world.tag_id = tag.id
    world.datasource_id = sales.id
    return world


async def add_rows(engine: AsyncEngine, *rows) -> None:
    """Insert rows in one committed transaction, in the order given."""
    async with create_session_factory(engine)() as db:
        for row in rows:
            db.add(row)
            await db.flush()
        await db.commit()


async def fetch_all(engine: AsyncEngine, statement: Select) -> list:
    """Return the scalars a select returns, read in a fresh session."""
    async with create_session_factory(engine)() as db:
        return list((await db.execute(statement)).scalars())
