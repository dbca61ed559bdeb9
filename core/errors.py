"""One error base for expected failures; the API maps them to status codes."""

from __future__ import annotations


class AppError(Exception):
    status_code = 400

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class NotFound(AppError):
    status_code = 404


class Forbidden(AppError):
    status_code = 403


class Conflict(AppError):
    status_code = 409


class ValidationFailed(AppError):
    status_code = 422


class ServiceUnavailable(AppError):
    status_code = 503


class ConfigurationError(AppError):
    status_code = 500
