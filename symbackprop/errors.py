"""User-facing errors.

Every mistake a user can make (a bad spec, a bad expression, bad LaTeX, a missing TeX
installation) is raised as a :class:`UserError`.  The CLI turns it into one readable line
and exit code 2; anything else is a bug in symbackprop and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the user gave us, reported as ``place: reason``."""

    def __init__(self, reason: str, place: str | None = None) -> None:
        self.reason = reason
        self.place = place
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The single line shown to the user."""
        text = f"{self.place}: {self.reason}" if self.place else self.reason
        # one line, whatever the user's text contained (newlines, escape sequences)
        return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)

    def at(self, place: str) -> UserError:
        """Return the same error located at ``place`` (prefixed to any inner place)."""
        inner = f"{place}: {self.place}" if self.place else place
        return type(self)(self.reason, inner)


class SpecError(UserError):
    """An invalid network specification (TOML file or CLI shorthand)."""


class ExpressionError(UserError):
    """A custom activation or cost expression that is not admitted."""


class EquationError(UserError):
    """A hand-written equation that cannot be parsed or refers to unknown things."""


class TexError(UserError):
    """TeX is missing or failed to compile a document."""


class OutputError(UserError):
    """An output file cannot or must not be written."""
