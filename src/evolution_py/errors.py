"""Errors that become upstream's envelope `{"status", "error", "response": {"message"}}`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 500
    error = "Internal Server Error"

    def __init__(self, *messages: Any, status: int | None = None, as_list: bool = True) -> None:
        super().__init__(*messages)
        if status is not None:
            self.status = status
        self.messages = list(messages)
        self.as_list = as_list

    @property
    def message(self) -> Any:
        if not self.as_list:
            return self.messages[0] if self.messages else self.error
        return self.messages if self.messages else self.error

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "response": {"message": self.message}}


class BadRequest(ApiError):
    status = 400
    error = "Bad Request"


class Unauthorized(ApiError):
    status = 401
    error = "Unauthorized"

    def __init__(self) -> None:
        # Upstream's 401 message is the plain string "Unauthorized", not a list.
        super().__init__("Unauthorized", as_list=False)


class Forbidden(ApiError):
    status = 403
    error = "Forbidden"


class NotFound(ApiError):
    status = 404
    error = "Not Found"


def instance_not_found(name: str) -> NotFound:
    return NotFound(f'The "{name}" instance does not exist')
