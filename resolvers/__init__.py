"""Use cases behind the GraphQL and REST surfaces, and the one authorisation policy module."""
