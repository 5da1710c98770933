"""Run one mutation as one transaction with its audit event."""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from db.engine import BEGIN_IMMEDIATE
from resolvers.audit import AuditNote, add_audit_event
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, UseCaseError, UserError

logger = logging.getLogger(__name__)

T = TypeVar("T")

OUTCOME_SUCCESS = "SUCCESS"
OUTCOME_FAILURE = "FAILURE"
OUTCOME_ERROR = "ERROR"


async def run_mutation(
    ctx: RequestContext, action: str, operation: Callable[[AuditNote], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run `operation` in a fresh transaction and commit it with a SUCCESS audit event.

    On an expected failure everything is rolled back and only a FAILURE audit event is
    committed, so a failed mutation changes nothing else in the database.
    """
    session = ctx.session
    # End the read transaction of authentication so the mutation starts from committed data.
    await session.rollback()
    await session.connection(execution_options={BEGIN_IMMEDIATE: True})
    note = AuditNote()
    try:
        result = await operation(note)
        add_audit_event(ctx, action, note, outcome=OUTCOME_SUCCESS)
        await session.commit()
    except UseCaseError as error:
        await session.rollback()
        await _record_failure(ctx, action, note, error.errors[0].code if error.errors else None)
        return None, error.errors
    except (IntegrityError, StaleDataError):
        await session.rollback()
        logger.info("mutation %s hit a constraint (request %s)", action, ctx.request_id)
        await _record_failure(ctx, action, note, ErrorCode.CONFLICT)
        message = (
            "The change conflicts with another one made at the same time, or with existing "
            "data; reload and try again."
        )
        return None, [UserError(ErrorCode.CONFLICT, message)]
    except Exception:
        await session.rollback()
        await _record_failure(ctx, action, note, "INTERNAL", outcome=OUTCOME_ERROR)
        raise
    finally:
        ctx.reset_loaders()
    return result, []


async def _record_failure(
    ctx: RequestContext,
    action: str,
    note: AuditNote,
    code: str | None,
    outcome: str = OUTCOME_FAILURE,
) -> None:
    try:
        add_audit_event(ctx, action, note, outcome=outcome, error_code=code)
        await ctx.session.commit()
    except Exception:
        # The audit write must not hide the original failure; the log keeps the record.
        logger.exception("could not record the failed %s (request %s)", action, ctx.request_id)
        await ctx.session.rollback()
