"""A real OpenID Connect provider for the login tests (provider.mjs) and its Python side."""
