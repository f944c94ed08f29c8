"""Shared vocabulary of the core: array aliases, categories and data-quality issues."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]
    AnyArray = npt.NDArray[Any]
else:
    # The array aliases load numpy on first use, so that the parts of the core that hold no
    # arrays (triage, self-tests, the plan) start without it.
    _ALIASES = frozenset({"FloatArray", "IntArray", "BoolArray", "AnyArray"})

    def __getattr__(name: str) -> Any:
        if name not in _ALIASES:  # e.g. __path__, which every `from ... import` asks for
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import numpy as np
        import numpy.typing as npt

        aliases = {"FloatArray": npt.NDArray[np.float64], "IntArray": npt.NDArray[np.int64],
                   "BoolArray": npt.NDArray[np.bool_], "AnyArray": npt.NDArray[Any]}
        globals().update(aliases)
        return aliases[name]

Progress = Callable[[int, "int | None"], None]
"""Progress callback: (done, total or None)."""


class MetricStatus(StrEnum):
    OK = "ok"
    INSUFFICIENT_DATA = "insufficient_data"
    NOT_AVAILABLE = "not_available"


class Severity(StrEnum):
    INFO = "info"
    WATCH = "watch"
    ACT = "act"


class Evidence(StrEnum):
    """How well a threshold is supported (DOMAIN.md tags [C] [S] [U] [D])."""

    CONFIRMED = "confirmed"
    SECONDARY = "secondary"
    UNCONFIRMED = "unconfirmed"
    DEFAULT = "default"

    @property
    def is_heuristic(self) -> bool:
        return self in (Evidence.UNCONFIRMED, Evidence.DEFAULT)


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """A data problem that did not stop the analysis: shown in the report and JSON."""

    code: str
    message: str
