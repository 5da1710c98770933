"""GraphQL schema: Strawberry types, inputs and payloads, thin over the resolvers."""
