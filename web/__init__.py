"""HTTP plumbing: the GraphQL endpoint, middleware, health checks, metrics and logging."""
