"""The per-request context every resolver receives."""

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from auth.identity import Identity
from db.loaders import Loaders
from settings import Settings


@dataclass
class RequestContext:
    """Database session, identity, dataloaders and request metadata of one request."""

    session: AsyncSession
    identity: Identity | None
    settings: Settings
    request_id: str
    client_ip: str | None = None
    user_agent: str | None = None
    # Service-user token issuing, set by the server when signing keys are configured.
    token_issuer: object | None = None
    loaders: Loaders = field(init=False)
    # Filled in by the schema's logging extension for the request log line.
    operation_name: str | None = None
    outcome: str | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)

    def reset_loaders(self) -> None:
        """Drop cached rows, for example after a mutation changed them."""
        self.loaders = Loaders(self.session)
