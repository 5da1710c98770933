"""REST endpoints of the platform, with its field names, beside the GraphQL API."""
