"""Credentials: password hashing, opaque secrets, signed service-user tokens, request identity."""
