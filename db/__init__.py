"""Database layer: tables, engine and sessions, dataloaders and migrations. No GraphQL here."""
