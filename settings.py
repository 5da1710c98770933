"""Server settings, read from environment variables and an optional `.env` file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting the server and the command line read; each maps to an upper-case variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Directory for the embedded database and keys")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL; default is a SQLite file in the data directory",
    )

    issuer: str = Field("service-users", description="`iss` claim of service-user tokens")
    audience: str = Field("service-users-api", description="`aud` claim of service-user tokens")
    signing_keys_dir: Path | None = Field(
        None,
        description="Directory of Ed25519 signing keys; default `<data_dir>/signing-keys`. "
        "Every server process on one database must read the same keys.",
    )

    session_lifetime_minutes: int = Field(480, ge=5, le=7 * 24 * 60)
    assumption_default_minutes: int = Field(60, ge=1, le=180)
    access_token_max_days: int = Field(365, ge=1, le=365)

    sign_in_window_minutes: int = Field(15, ge=1)
    sign_in_max_failures_per_account: int = Field(5, ge=1)
    sign_in_max_failures_per_address: int = Field(50, ge=1)

    enable_graphiql: bool = False
    enable_introspection: bool = False
    enable_field_suggestions: bool = False
    max_query_depth: int = Field(12, ge=2)
    max_aliases: int = Field(30, ge=1)
    max_tokens: int = Field(2000, ge=50)
    max_query_cost: int = Field(
        100_000,
        ge=100,
        description="Upper bound of the fields one GraphQL operation may return, "
        "counted before execution",
    )
    max_body_bytes: int = Field(64 * 1024, ge=1024)

    forwarded_allow_ips: str | None = Field(
        None,
        description="Comma-separated proxy addresses whose X-Forwarded-For is trusted; "
        "unset trusts none",
    )

    log_format: str = Field("plain", pattern="^(plain|json)$")
    log_level: str = "INFO"

    @property
    def resolved_database_url(self) -> str:
        """Return the configured database URL, or the embedded SQLite file under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'service-users.db'}"

    @property
    def is_embedded(self) -> bool:
        """Tell whether the server runs on the embedded SQLite default."""
        return self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_signing_keys_dir(self) -> Path:
        """Return the signing-key directory, defaulting to a folder in the data dir."""
        return self.signing_keys_dir or self.data_dir / "signing-keys"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
