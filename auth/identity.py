"""The identity a request acts as: a user, its active role, and the person behind it."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from db.tables import Permission, Role, User
from db.tables.roles import SUPER_ADMIN_ROLE_ID


class CredentialKind(StrEnum):
    """Kind of credential the request authenticated with."""

    SESSION = "SESSION"
    ACCESS_TOKEN = "ACCESS_TOKEN"
    SERVICE_USER_TOKEN = "SERVICE_USER_TOKEN"


@dataclass(frozen=True)
class Identity:
    """The effective user, the active role, and the assuming person (`actor`) if any."""

    user: User
    role: Role
    credential: CredentialKind
    credential_id: str
    actor: User | None = None
    expires_at: datetime | None = None

    @property
    def person(self) -> User:
        """Return the human behind the request: the actor of an assumption, else the user."""
        return self.actor or self.user

    @property
    def is_service_user(self) -> bool:
        """Tell whether the effective user is a service user."""
        return self.user.is_service_user

    @property
    def is_super_admin(self) -> bool:
        """Tell whether the active role is `SystemRole-SuperAdmin`."""
        return self.role.id == SUPER_ADMIN_ROLE_ID

    def has_permission(self, permission: Permission) -> bool:
        """Tell whether the active role grants a permission."""
        return self.is_super_admin or permission.value in self.role.permissions


class AuthenticationError(Exception):
    """A credential that was sent but cannot be accepted; the server responds 401 (or 403)."""

    def __init__(self, message: str, *, status: int = 401, code: str = "UNAUTHENTICATED"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
