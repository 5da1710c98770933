"""Objects shared by every request of one application instance."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auth.authenticate import ServiceUserTokenAuthenticator
from auth.service_user_tokens import ServiceUserTokens
from auth.signing_keys import SigningKeyStore
from settings import Settings


@dataclass
class AppState:
    """Settings, database engine and session factory, and the token services."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    service_user_tokens: ServiceUserTokenAuthenticator | None = None
    token_issuer: ServiceUserTokens | None = None
    signing_keys: SigningKeyStore | None = None
