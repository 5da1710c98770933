"""An AsyncSession that runs one database operation at a time.

GraphQL resolves sibling fields concurrently (root query fields, and every dataloader batch
of one tick), and they share the request's session. SQLAlchemy forbids concurrent operations
on one AsyncSession ("This session is provisioning a new connection; concurrent operations
are not permitted"), so each operation here waits for the one before it to finish.
"""

import asyncio
import functools

from sqlalchemy.ext.asyncio import AsyncSession

# AsyncSession methods that run work on the synchronous session. `scalars`, `stream_scalars`
# and `aclose` call `execute`, `stream` and `close`, which are listed. Wrapping them too would
# deadlock, because the lock is not reentrant.
_SERIALISED_METHODS = (
    "close",
    "commit",
    "connection",
    "delete",
    "delete_all",
    "execute",
    "flush",
    "get",
    "get_one",
    "invalidate",
    "merge",
    "merge_all",
    "refresh",
    "reset",
    "rollback",
    "run_sync",
    "scalar",
    "stream",
)


class SerialisedAsyncSession(AsyncSession):
    """An AsyncSession whose operations queue on a lock instead of failing when they overlap."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._operation_lock = asyncio.Lock()


def _serialised(name: str):
    method = getattr(AsyncSession, name)

    @functools.wraps(method)
    async def run_alone(self: SerialisedAsyncSession, *args, **kwargs):
        async with self._operation_lock:
            return await method(self, *args, **kwargs)

    return run_alone


for _name in _SERIALISED_METHODS:
    setattr(SerialisedAsyncSession, _name, _serialised(_name))
