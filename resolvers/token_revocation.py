"""Revoking service-user tokens when the right they were issued under goes away.

Every request also checks that the assuming person is enabled and keeps Owner access, but that
check only blocks a token while the cause lasts. Revoking the token in the transaction that
takes the right away keeps it dead, even after the person is enabled or shared the service
user again.
"""

import logging

from sqlalchemy import Select, and_, not_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.clock import utcnow
from db.tables import ServiceUserToken
from db.tables.shares import ResourceType
from resolvers.policy import person_owner_access_condition

logger = logging.getLogger(__name__)

# On PostgreSQL an UPDATE cannot see a token that a concurrent transaction has not committed.
# So assumeServiceUser locks the service user's and the person's rows, and unsharing, disabling
# and tag removal lock one of them first: the two transactions run one after the other. On
# SQLite every mutation holds the write lock from BEGIN IMMEDIATE anyway.


async def _revoke(session: AsyncSession, revoked_by_id: str, *conditions: ColumnElement) -> int:
    """Revoke the live tokens that match every condition; return how many were revoked."""
    now = utcnow()
    result = await session.execute(
        update(ServiceUserToken)
        .where(
            ServiceUserToken.revoked_at.is_(None),
            ServiceUserToken.expires_at > now,
            *conditions,
        )
        .values(revoked_at=now, revoked_by_id=revoked_by_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        logger.info("revoked %d service-user tokens (by %s)", result.rowcount, revoked_by_id)
    return result.rowcount


async def revoke_tokens_of_service_user(
    session: AsyncSession, service_user_id: str, revoked_by_id: str
) -> int:
    """Revoke every live token that acts as a service user, for example when it is disabled."""
    return await _revoke(
        session, revoked_by_id, ServiceUserToken.service_user_id == service_user_id
    )


async def revoke_tokens_under_role(
    session: AsyncSession, service_user_id: str, role_id: str, revoked_by_id: str
) -> int:
    """Revoke the live tokens of a service user that act under a role being detached from it."""
    return await _revoke(
        session,
        revoked_by_id,
        ServiceUserToken.service_user_id == service_user_id,
        ServiceUserToken.role_id == role_id,
    )


async def revoke_tokens_issued_by(session: AsyncSession, person_id: str, revoked_by_id: str) -> int:
    """Revoke every live service-user token a person issued, whichever service user it acts as.

    Disabling the person and a global sign-out of the person call this.
    """
    return await _revoke(session, revoked_by_id, ServiceUserToken.issued_by_id == person_id)


async def revoke_tokens_without_owner_access(
    session: AsyncSession,
    revoked_by_id: str,
    *,
    service_user_ids: Select | list[str] | None = None,
    issued_by_id: str | None = None,
) -> int:
    """Revoke the live tokens whose issuing person no longer has Owner access to the service user.

    Call it after removing a share, a tag membership or a role in the current transaction,
    because the UPDATE reads the transaction's own changes. `service_user_ids` (a list or a
    select of ids) and `issued_by_id` narrow down the tokens that are checked. Owner access is
    an OWNER share directly or through a tag, or SystemRole-SuperAdmin attached to the person.
    """
    conditions: list[ColumnElement] = [
        not_(
            person_owner_access_condition(
                ServiceUserToken.issued_by_id,
                ResourceType.SERVICE_USER,
                ServiceUserToken.service_user_id,
            )
        )
    ]
    if service_user_ids is not None:
        conditions.append(ServiceUserToken.service_user_id.in_(service_user_ids))
    if issued_by_id is not None:
        conditions.append(ServiceUserToken.issued_by_id == issued_by_id)
    return await _revoke(session, revoked_by_id, and_(*conditions))
