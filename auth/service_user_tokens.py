"""Service-user tokens: issue signed JWT access tokens (RFC 9068) and check them on every request.

A person assuming a service user receives one. A token carries `sub` (the service user),
`client_id` (also the service user, because the machine account is the client, as for
client-credentials grants), `role` (the role chosen at assumption) and `act: {"sub": <person>}`
(RFC 8693) naming who assumed it.
"""

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.authenticate import (
    USAGE_WRITE_INTERVAL,
    active_role,
    attached_role,
    authenticate_person_credential,
    bearer_credential,
)
from auth.identity import AuthenticationError, CredentialKind, Identity
from auth.secrets import ACCESS_TOKEN_PREFIX, SESSION_TOKEN_PREFIX
from auth.signing_keys import SigningKeyStore
from db.clock import utcnow
from db.tables import ServiceUserToken, User
from db.tables.shares import ResourceType
from resolvers.policy import person_has_owner_access
from settings import Settings

logger = logging.getLogger(__name__)

MIN_LIFETIME = timedelta(minutes=1)
# `issue` rejects longer lifetimes, whatever the request or the settings contain.
MAX_LIFETIME = timedelta(minutes=180)
CLOCK_LEEWAY = timedelta(seconds=30)
TOKEN_TYPE = "at+jwt"  # noqa: S105 (a media type, not a secret)
# RFC 7515 lets `typ` omit the "application/" prefix and compares it without case.
ACCEPTED_TOKEN_TYPES = {TOKEN_TYPE, f"application/{TOKEN_TYPE}"}
# Header members of our tokens. Any other member (jku, jwk, x5u, crit, b64, ...) is rejected.
ACCEPTED_HEADER_NAMES = {"alg", "kid", "typ"}
REQUIRED_CLAIMS = ["iss", "aud", "sub", "client_id", "iat", "nbf", "exp", "jti", "role", "act"]
# Our tokens are about 650 characters long, so longer input is rejected without parsing.
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class IssuedToken:
    """A signed token and the values its registry entry records."""

    token: str
    jti: str
    kid: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    """The verified claims of a service-user token."""

    jti: str
    service_user_id: str
    role_id: str
    actor_id: str
    issued_at: datetime
    expires_at: datetime


def signing_key_store(settings: Settings) -> SigningKeyStore:
    """Return the store of the settings' signing-key directory, without writing to it."""
    return SigningKeyStore(settings.resolved_signing_keys_dir, MAX_LIFETIME + CLOCK_LEEWAY)


def open_signing_keys(settings: Settings) -> SigningKeyStore:
    """Open the settings' signing-key directory, generating the first key if it has none."""
    store = signing_key_store(settings)
    if not settings.is_embedded and not store.stored_keys():
        logger.warning(
            "no signing keys in %s, so one is generated; every server process on this database "
            "must load the same keys (set SIGNING_KEYS_DIR to a shared directory)",
            store.directory,
        )
    store.ensure_key()
    return store


def _rejected(message: str) -> AuthenticationError:
    return AuthenticationError(message)


def _check_header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        # DecodeError for broken encoding, and InvalidTokenError for a `kid` that is no string.
        raise _rejected(
            "The X-Amorphic-Service-User header does not contain a well-formed JWT; send the "
            "token that assumeServiceUser returned, unchanged."
        ) from None
    token_type = header.get("typ")
    if not isinstance(token_type, str) or token_type.lower() not in ACCEPTED_TOKEN_TYPES:
        raise _rejected(
            f"The service-user token has type {token_type!r}; only '{TOKEN_TYPE}' tokens from "
            "assumeServiceUser are accepted."
        )
    algorithm = header.get("alg")
    if algorithm != "EdDSA":
        raise _rejected(
            f"The service-user token is signed with algorithm {algorithm!r}; only EdDSA "
            "signatures from this server's published keys are accepted."
        )
    unexpected = sorted(set(header) - ACCEPTED_HEADER_NAMES)
    if unexpected:
        raise _rejected(
            f"The service-user token's header has unsupported members {', '.join(unexpected)}; "
            "only alg, kid and typ are accepted."
        )
    return header


def _check_claim_types(payload: Mapping[str, Any]) -> None:
    for name in ("iat", "nbf", "exp"):
        # PyJWT also accepts numeric strings here; our tokens carry whole seconds only.
        if isinstance(payload[name], bool) or not isinstance(payload[name], int):
            raise _rejected(f"The service-user token's '{name}' claim is not a whole number.")
    for name in ("sub", "client_id", "role", "jti"):
        if not isinstance(payload[name], str) or not payload[name]:
            raise _rejected(f"The service-user token's '{name}' claim is not a non-empty string.")
    actor = payload["act"]
    if not isinstance(actor, dict) or not isinstance(actor.get("sub"), str) or not actor["sub"]:
        raise _rejected("The service-user token's 'act' claim does not name the assuming person.")
    if payload["client_id"] != payload["sub"]:
        raise _rejected("The service-user token's 'client_id' claim differs from its 'sub'.")
    lifetime = payload["exp"] - payload["iat"]
    if lifetime > MAX_LIFETIME.total_seconds():
        raise _rejected(
            f"The service-user token lives {lifetime} seconds, longer than the maximum of "
            f"{int(MAX_LIFETIME.total_seconds())}; it was not issued by this server."
        )


class ServiceUserTokens:
    """Issue service-user tokens, verify them, and authenticate requests that carry one."""

    def __init__(self, settings: Settings, keys: SigningKeyStore):
        self.issuer = settings.issuer
        self.audience = settings.audience
        self.keys = keys

    def issue(
        self,
        *,
        service_user_id: str,
        role_id: str,
        actor_id: str,
        lifetime: timedelta,
        now: datetime | None = None,
    ) -> IssuedToken:
        """Sign a token for a service user, acting under a role, assumed by a person."""
        if not MIN_LIFETIME <= lifetime <= MAX_LIFETIME:
            raise ValueError(f"token lifetime {lifetime} is outside {MIN_LIFETIME}-{MAX_LIFETIME}")
        # JWT times are whole seconds, so the registry stores the same rounded values.
        issued_at = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
        expires_at = issued_at + lifetime
        jti = str(uuid.uuid4())
        key = self.keys.signing_key()
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": service_user_id,
            "client_id": service_user_id,
            "iat": int(issued_at.timestamp()),
            "nbf": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": jti,
            "role": role_id,
            "act": {"sub": actor_id},
        }
        token = jwt.encode(
            claims,
            key.private_key,
            algorithm=key.algorithm,
            headers={"kid": key.kid, "typ": TOKEN_TYPE},
        )
        return IssuedToken(token, jti, key.kid, issued_at, expires_at)

    def verify(self, token: str) -> TokenClaims:
        """Verify a token's form, signature and claims, raising AuthenticationError on failure."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise _rejected(
                f"The service-user token is {len(token)} characters long, more than the "
                f"{MAX_TOKEN_LENGTH} a token of this server has."
            )
        header = _check_header(token)
        kid = header.get("kid")
        key = self.keys.verification_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise _rejected(
                f"The service-user token names signing key {kid!r}, which this server does not "
                "publish (it may have been rotated out); assume the service user again."
            )
        try:
            payload = jwt.decode(
                token,
                key.public_key,
                # Pinned to the algorithm of the key the kid selected.
                algorithms=[key.algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=CLOCK_LEEWAY,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.ExpiredSignatureError:
            raise _rejected(
                "The service-user token has expired; assume the service user again."
            ) from None
        except jwt.ImmatureSignatureError:
            raise _rejected(
                "The service-user token is not valid yet (its nbf or iat lies in the future); "
                "check the clock of the machine that sent it."
            ) from None
        except jwt.InvalidSignatureError:
            raise _rejected(
                "The service-user token's signature does not match its content; the token was "
                "changed or was not issued by this server."
            ) from None
        except jwt.InvalidIssuerError:
            raise _rejected(
                f"The service-user token was not issued by '{self.issuer}'; send a token from "
                "this server's assumeServiceUser."
            ) from None
        except jwt.InvalidAudienceError:
            raise _rejected(
                f"The service-user token's audience is not exactly '{self.audience}'; send a "
                "token issued for this API."
            ) from None
        except jwt.MissingRequiredClaimError as error:
            raise _rejected(
                f"The service-user token lacks the required '{error.claim}' claim."
            ) from None
        except jwt.InvalidTokenError as error:
            raise _rejected(f"The service-user token is invalid: {error}.") from None
        _check_claim_types(payload)
        return TokenClaims(
            jti=payload["jti"],
            service_user_id=payload["sub"],
            role_id=payload["role"],
            actor_id=payload["act"]["sub"],
            issued_at=datetime.fromtimestamp(payload["iat"], UTC),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )

    async def authenticate(
        self,
        db: AsyncSession,
        token: str,
        authorization_credential: str | None,
        role_id: str | None,
    ) -> Identity:
        """Return the identity of a request carrying a service-user token.

        Besides the token itself, the database must still agree: the registry entry is live,
        the service user and the assuming person exist and are enabled, the person keeps Owner
        access, and the role chosen at assumption is still attached.
        """
        token = bearer_credential(token) or ""
        if token.startswith((SESSION_TOKEN_PREFIX, ACCESS_TOKEN_PREFIX)):
            kind = (
                "a session token" if token.startswith(SESSION_TOKEN_PREFIX) else "an access token"
            )
            raise _rejected(
                f"The X-Amorphic-Service-User header contains {kind}; send it in the "
                "Authorization header instead. This header takes only tokens from "
                "assumeServiceUser."
            )
        claims = None
        try:
            claims = self.verify(token)
            service_user = await self._service_user(db, claims)
            person = await self._person(db, claims, service_user)
            record = await self._registry_entry(db, claims, service_user)
            await self._check_owner_access(db, person, service_user)
            if await attached_role(db, service_user, claims.role_id) is None:
                raise _rejected(
                    f"The role chosen at assumption ('{claims.role_id}') is no longer attached "
                    f"to service user '{service_user.username}'; assume it again with one of its "
                    "roles."
                )
            role = await active_role(db, service_user, role_id or claims.role_id)
            if authorization_credential is not None:
                await self._check_same_person(db, authorization_credential, person, service_user)
        except AuthenticationError as error:
            logger.info(
                "service-user token rejected jti=%s status=%d: %s",
                claims.jti if claims else None,
                error.status,
                error.message,
            )
            raise
        await self._record_use(db, record)
        return Identity(
            user=service_user,
            role=role,
            credential=CredentialKind.SERVICE_USER_TOKEN,
            credential_id=record.id,
            actor=person,
            expires_at=record.expires_at,
        )

    @staticmethod
    async def _service_user(db: AsyncSession, claims: TokenClaims) -> User:
        service_user = await db.get(User, claims.service_user_id)
        if service_user is None or not service_user.is_service_user:
            raise _rejected("The service user of this token no longer exists.")
        if not service_user.enabled:
            raise _rejected(
                f"Service user '{service_user.username}' is disabled, so its tokens no longer "
                "work. An owner can enable it again, and then the service user can be assumed."
            )
        return service_user

    @staticmethod
    async def _person(db: AsyncSession, claims: TokenClaims, service_user: User) -> User:
        person = await db.get(User, claims.actor_id)
        if person is None or person.is_service_user:
            raise _rejected(
                f"The person who assumed service user '{service_user.username}' with this token "
                "no longer exists."
            )
        if not person.enabled:
            raise _rejected(
                f"User '{person.username}', who assumed service user '{service_user.username}', "
                "is disabled, so the token stops working."
            )
        return person

    @staticmethod
    async def _check_owner_access(db: AsyncSession, person: User, service_user: User) -> None:
        if not await person_has_owner_access(
            db, person, ResourceType.SERVICE_USER, service_user.id
        ):
            raise _rejected(
                f"'{person.username}', who assumed service user '{service_user.username}', no "
                "longer has Owner access to it, so its tokens stop working."
            )

    @staticmethod
    async def _registry_entry(
        db: AsyncSession, claims: TokenClaims, service_user: User
    ) -> ServiceUserToken:
        record = await db.get(ServiceUserToken, claims.jti)
        if (
            record is None
            or record.service_user_id != claims.service_user_id
            or record.issued_by_id != claims.actor_id
            or record.role_id != claims.role_id
        ):
            raise _rejected(
                f"Token '{claims.jti}' is not in the token registry of service user "
                f"'{service_user.username}'; assume the service user again."
            )
        if record.revoked_at is not None:
            raise _rejected(
                f"Token '{record.id}' of service user '{service_user.username}' was revoked; "
                "assume the service user again."
            )
        if record.expires_at <= utcnow():
            raise _rejected("The service-user token has expired; assume the service user again.")
        return record

    @staticmethod
    async def _check_same_person(
        db: AsyncSession, credential: str, person: User, service_user: User
    ) -> None:
        authorized = await authenticate_person_credential(db, credential, None)
        if authorized.user.id != person.id:
            raise _rejected(
                f"The Authorization header authenticates '{authorized.user.username}', but "
                f"service user '{service_user.username}' was assumed by '{person.username}'; "
                "send the service-user token alone, or with that person's credential."
            )

    @staticmethod
    async def _record_use(db: AsyncSession, record: ServiceUserToken) -> None:
        now = utcnow()
        if record.last_used_at is not None and now - record.last_used_at < USAGE_WRITE_INTERVAL:
            return
        # The condition repeats the check in SQL, so concurrent requests write only once.
        await db.execute(
            update(ServiceUserToken)
            .where(
                ServiceUserToken.id == record.id,
                or_(
                    ServiceUserToken.last_used_at.is_(None),
                    ServiceUserToken.last_used_at <= now - USAGE_WRITE_INTERVAL,
                ),
            )
            .values(last_used_at=now)
        )
        await db.commit()
