"""Fixtures for the performance work's behavioural tests: the API's app, client and signed senders."""

from tests.api.conftest import api_environment, client, shop  # noqa: F401
