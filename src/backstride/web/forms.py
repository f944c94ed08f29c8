"""Reading a web form: every problem at once, in the form's own words.

A form's text fields are read one by one into :class:`Problems`, which keeps a sentence for
each value that cannot be read (not a number, not a date, infinite) and carries on, so the page
lists everything to fix in one go. The workflows' own checks (the same rules as the CLI's)
name the CLI's options (``--minute``); :func:`in_words` puts the form's labels in their place,
so no option name, key or ``inf`` reaches a page."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date

from backstride.errors import InputError

NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?", re.IGNORECASE)
"""A number as digits: no inf, nan or 1_000 (which float() reads)."""


class FormProblems(InputError):
    """Everything wrong with one form, each its own sentence (``str``: all of them)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = tuple(problems)


def problems_of(exc: InputError) -> list[str]:
    """The sentences of an input error: a form's list, or the workflow's one message."""
    return list(exc.problems) if isinstance(exc, FormProblems) else [str(exc)]


def in_words(message: str, labels: Mapping[str, str]) -> str:
    """A workflow's message with the CLI's option names replaced by the form's labels."""
    for option, label in sorted(labels.items(), key=lambda item: -len(item[0])):
        message = message.replace(option, label)
    return message[:1].upper() + message[1:]


class Problems:
    """The sentences collected while reading one form."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, sentence: str) -> None:
        self.items.append(sentence)

    def extend(self, sentences: list[str], labels: Mapping[str, str]) -> None:
        self.items.extend(in_words(sentence, labels) for sentence in sentences)

    def raise_any(self) -> None:
        if self.items:
            raise FormProblems(self.items)

    def number(self, values: Mapping[str, str], key: str, label: str, *,
               unit: str = "") -> float | None:
        """A decimal number (a comma as the decimal mark too); None when empty or unreadable
        (then a sentence says which)."""
        text = values.get(key, "").strip().replace(",", ".")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not NUMBER.fullmatch(text):
            of_unit = f" of {unit}" if unit else ""
            self.add(f"{label}: “{short(text)}” is not a number{of_unit}; type it with digits "
                     "(for example 12.5), or leave it empty if you do not know.")
            return None
        return value

    def whole(self, values: Mapping[str, str], key: str, label: str, hint: str, *,
              required: bool = False) -> int | None:
        text = values.get(key, "").strip()
        if not text:
            if required:
                self.add(f"Choose {label}: {hint}.")
            return None
        if not re.fullmatch(r"[+-]?[0-9]{1,9}", text):
            self.add(f"{label[:1].upper() + label[1:]}: “{short(text)}” is not a whole number; "
                     f"{hint}.")
            return None
        return int(text)

    def day(self, values: Mapping[str, str], key: str, label: str) -> date | None:
        text = values.get(key, "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.add(f"{label}: “{short(text)}” is not a date; pick it in the date field "
                     "(year-month-day, for example 2024-05-01).")
            return None


def short(text: str) -> str:
    """Typed text shown back in a sentence, cut after 12 characters."""
    return text if len(text) <= 12 else text[:12] + "…"
