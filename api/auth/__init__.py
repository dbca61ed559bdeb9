"""Authentication for the API: cookie sessions (web inbox), bearer API tokens, rate limits."""
