"""Errors a person sees: what happened, and what to do next."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error with a short title, what happened, and what to do about it."""

    title = "Something went wrong"

    def __init__(self, what: str, todo: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.todo = todo

    @property
    def message(self) -> str:
        return f"{self.what} {self.todo}".strip()

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"
