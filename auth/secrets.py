"""Opaque bearer secrets (session tokens and personal access tokens) and their stored hashes.

The secrets carry 256 random bits, so a fast SHA-256 hash is enough to store them: unlike
passwords they cannot be guessed from a dictionary.
"""

import hashlib
import secrets

SESSION_TOKEN_PREFIX = "sus_"
ACCESS_TOKEN_PREFIX = "supat_"
# Characters of a PAT kept in clear for listings: the prefix and four random characters.
ACCESS_TOKEN_DISPLAY_LENGTH = len(ACCESS_TOKEN_PREFIX) + 4


def new_secret(prefix: str) -> str:
    """Return a new random secret that starts with a recognisable prefix."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Return the hex SHA-256 of a secret, the only form the database keeps."""
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_password() -> str:
    """Return a random password for a bootstrapped account."""
    return secrets.token_urlsafe(18)
