"""Store, rotate and publish the Ed25519 keys that sign service-user tokens.

The directory contains one PKCS#8 PEM file per key and a manifest, `keys.json`, listing each key's
`kid`, `created_at` and `retired_at`. Every file is written with mode 0600. Processes that share
one database must share this directory (or a copy of it), so that a token signed by one process
verifies in every other. Each process re-reads the manifest when the file changes, so a key
added by `server.py rotate-signing-key` is used without a restart.
"""

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

logger = logging.getLogger(__name__)

MANIFEST_NAME = "keys.json"
LOCK_NAME = ".lock"
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
# The only JWS algorithm these keys sign with. Verification accepts no other one for them.
ALGORITHM = "EdDSA"
# A kid names a file in the directory, so it is limited to base64url characters.
KID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SigningKeyError(Exception):
    """The key directory is missing, unreadable or inconsistent."""


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _public_x(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _base64url(raw)


def key_thumbprint(public_key: Ed25519PublicKey) -> str:
    """Return the RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key, used as `kid`."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": _public_x(public_key)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _base64url(hashlib.sha256(canonical).digest())


@dataclass(frozen=True)
class SigningKey:
    """One Ed25519 key pair with its `kid`, and `retired_at` once a newer key replaced it."""

    kid: str
    private_key: Ed25519PrivateKey
    created_at: datetime
    retired_at: datetime | None = None
    algorithm: str = ALGORITHM

    @property
    def public_key(self) -> Ed25519PublicKey:
        """Return the public half, the only part verification needs."""
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, str]:
        """Return the public key as a JWK (RFC 8037 OKP key)."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _public_x(self.public_key),
            "kid": self.kid,
            "alg": self.algorithm,
            "use": "sig",
        }


def _timestamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _parse_timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the owner only, replacing any previous one atomically."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    # os.open applies the umask, which can only remove bits, so the mode is set explicitly.
    os.chmod(temporary, FILE_MODE)
    os.replace(temporary, path)


class SigningKeyStore:
    """The signing keys in one directory: the newest current key signs, published keys verify.

    `publication_window` is how long a retired key stays published and accepted: at least the
    longest token lifetime plus the clock leeway, so every token it signed expires first.
    """

    def __init__(self, directory: Path, publication_window: timedelta):
        self.directory = Path(directory)
        self.publication_window = publication_window
        self._keys: list[SigningKey] = []
        self._manifest_version: tuple[int, int, int] | None = None

    @property
    def manifest_path(self) -> Path:
        """Return the path of the manifest file."""
        return self.directory / MANIFEST_NAME

    # Reading

    def refresh(self) -> None:
        """Re-read the manifest and key files when the manifest changed on disk."""
        try:
            status = self.manifest_path.stat()
        except FileNotFoundError:
            self._keys = []
            self._manifest_version = None
            return
        version = (status.st_ino, status.st_mtime_ns, status.st_size)
        if version != self._manifest_version:
            self._keys = self._read_keys()
            self._manifest_version = version
            current = self._current(self._keys)
            logger.info(
                "loaded %d signing keys from %s (signing kid %s)",
                len(self._keys),
                self.directory,
                current.kid if current else None,
            )

    def _read_manifest(self) -> list[dict]:
        try:
            document = json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            raise SigningKeyError(
                f"Cannot read the signing-key manifest {self.manifest_path}: {error}"
            ) from error
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise SigningKeyError(
                f"The signing-key manifest {self.manifest_path} has no `keys` list."
            )
        return entries

    def _read_keys(self) -> list[SigningKey]:
        keys = []
        for entry in self._read_manifest():
            kid = entry.get("kid") if isinstance(entry, dict) else None
            if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
                raise SigningKeyError(
                    f"The signing-key manifest {self.manifest_path} has an entry without a valid "
                    f"kid: {entry!r}."
                )
            path = self.directory / f"{kid}.pem"
            try:
                self._warn_if_readable_by_others(path)
                private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (OSError, ValueError, TypeError) as error:
                raise SigningKeyError(
                    f"Cannot load signing key '{kid}' from {path}: {error}"
                ) from error
            if not isinstance(private_key, Ed25519PrivateKey):
                raise SigningKeyError(f"Signing key file {path} does not contain an Ed25519 key.")
            if key_thumbprint(private_key.public_key()) != kid:
                raise SigningKeyError(
                    f"Signing key file {path} does not match its kid '{kid}' in the manifest."
                )
            created_at = self._entry_time(entry, "created_at")
            if created_at is None:
                raise SigningKeyError(
                    f"The signing-key manifest {self.manifest_path} has no created_at for "
                    f"kid '{kid}'."
                )
            keys.append(
                SigningKey(
                    kid=kid,
                    private_key=private_key,
                    created_at=created_at,
                    retired_at=self._entry_time(entry, "retired_at"),
                )
            )
        return keys

    def _entry_time(self, entry: dict, name: str) -> datetime | None:
        try:
            value = _parse_timestamp(entry.get(name))
        except (TypeError, ValueError) as error:
            raise SigningKeyError(
                f"The signing-key manifest {self.manifest_path} has an invalid {name} for "
                f"kid '{entry['kid']}': {error}"
            ) from error
        if value is not None and value.tzinfo is None:
            raise SigningKeyError(
                f"The signing-key manifest {self.manifest_path} has a {name} without a time "
                f"zone for kid '{entry['kid']}'; write it as ISO 8601 with an offset."
            )
        return value

    @staticmethod
    def _warn_if_readable_by_others(path: Path) -> None:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            logger.warning(
                "signing key file %s has mode %o; restrict it to its owner (chmod 600)", path, mode
            )

    @staticmethod
    def _current(keys: list[SigningKey]) -> SigningKey | None:
        current = [key for key in keys if key.retired_at is None]
        return max(current, key=lambda key: key.created_at) if current else None

    def stored_keys(self) -> list[SigningKey]:
        """Return every key in the directory, oldest first."""
        self.refresh()
        return sorted(self._keys, key=lambda key: key.created_at)

    def signing_key(self) -> SigningKey:
        """Return the key that signs new tokens: the newest key that is not retired."""
        self.refresh()
        key = self._current(self._keys)
        if key is None:
            raise SigningKeyError(
                f"No current signing key in {self.directory}; run `server.py rotate-signing-key`."
            )
        return key

    def is_published(self, key: SigningKey, now: datetime | None = None) -> bool:
        """Tell whether a key is current, or retired for less than the publication window."""
        if key.retired_at is None:
            return True
        return (now or datetime.now(UTC)) < key.retired_at + self.publication_window

    def published_keys(self, now: datetime | None = None) -> list[SigningKey]:
        """Return the keys whose tokens may still be valid, oldest first."""
        return [key for key in self.stored_keys() if self.is_published(key, now)]

    def verification_key(self, kid: str, now: datetime | None = None) -> SigningKey | None:
        """Return the published key with a `kid`, or None when no published key has it."""
        for key in self.published_keys(now):
            if key.kid == kid:
                return key
        return None

    def jwks(self, now: datetime | None = None) -> dict[str, list[dict[str, str]]]:
        """Return the JWK Set document of the published public keys."""
        return {"keys": [key.public_jwk() for key in self.published_keys(now)]}

    # Writing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise writers, also across processes sharing the directory."""
        self.directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        descriptor = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def _write_manifest(self, keys: list[SigningKey]) -> None:
        entries = [
            {
                "kid": key.kid,
                "alg": key.algorithm,
                "created_at": _timestamp(key.created_at),
                "retired_at": _timestamp(key.retired_at),
            }
            for key in sorted(keys, key=lambda key: key.created_at)
        ]
        document = json.dumps({"keys": entries}, indent=2) + "\n"
        _write_private(self.manifest_path, document.encode())

    def _new_key(self, now: datetime) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        key = SigningKey(key_thumbprint(private_key.public_key()), private_key, now)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(self.directory / f"{key.kid}.pem", pem)
        return key

    def ensure_key(self, now: datetime | None = None) -> SigningKey:
        """Return the signing key, generating the first one when the directory has none."""
        self.refresh()
        if self._current(self._keys) is not None:
            return self.signing_key()
        try:
            with self._locked():
                # Another process may have generated it while this one waited for the lock.
                keys = self._read_keys()
                if self._current(keys) is None:
                    key = self._new_key(now or datetime.now(UTC))
                    self._write_manifest([*keys, key])
                    logger.info("generated signing key %s in %s", key.kid, self.directory)
        except OSError as error:
            raise SigningKeyError(
                f"Cannot create the first signing key in {self.directory}: {error}. Make the "
                "directory writable, or point SIGNING_KEYS_DIR at a directory that holds keys."
            ) from error
        self._manifest_version = None
        return self.signing_key()

    def rotate(self, now: datetime | None = None) -> tuple[SigningKey, list[SigningKey]]:
        """Add a new signing key and retire the current ones, returning the new and retired keys.

        Retired keys stay published for the publication window. Keys retired longer ago than
        that are removed from the directory, because no token they signed is still valid.
        """
        now = now or datetime.now(UTC)
        with self._locked():
            keys = self._read_keys()
            retired = [
                SigningKey(key.kid, key.private_key, key.created_at, now)
                for key in keys
                if key.retired_at is None
            ]
            previously_retired = [key for key in keys if key.retired_at is not None]
            still_published = [key for key in previously_retired if self.is_published(key, now)]
            expired = [key for key in previously_retired if not self.is_published(key, now)]
            new_key = self._new_key(now)
            self._write_manifest([*still_published, *retired, new_key])
            for key in expired:
                (self.directory / f"{key.kid}.pem").unlink(missing_ok=True)
                logger.info("removed signing key %s, retired at %s", key.kid, key.retired_at)
        self._manifest_version = None
        logger.info(
            "rotated signing keys: new kid %s, retired %s",
            new_key.kid,
            ", ".join(key.kid for key in retired) or "none",
        )
        return new_key, retired
