"""Problems found in a published file, reported as `file:row: column 'X': value 'V': reason`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str | None
    row: int | None  # 1-based data row under the header
    column: str | None  # the header as published
    value: object
    reason: str

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.row) if p is not None)
        parts = [where] if where else []
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.value is not None:
            parts.append(f"value '{_short(self.value)}'")
        parts.append(self.reason)
        return ": ".join(parts)


def _short(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class IngestError(Exception):
    """A file refused whole: every problem found, nothing written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
