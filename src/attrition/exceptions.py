"""Domain exceptions and warnings.

Every exception subclasses a builtin as well as :class:`AttritionError`, so
callers' existing ``except ValueError`` blocks keep working (the lifelines
convention). Messages say what is wrong *and* how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: `attrition --help` must not pay for pandas
    import pandas as pd

__all__ = [
    "AttritionError",
    "SchemaError",
    "ConfigError",
    "LeakageError",
    "RosterError",
    "ModelNotFoundError",
    "NotFittedError",
    "InsufficientDataError",
    "DataQualityWarning",
    "format_examples",
]


class AttritionError(Exception):
    """Base class of every error raised by :mod:`attrition`."""


class SchemaError(AttritionError, ValueError):
    """An input table breaks the data contract.

    Parameters
    ----------
    message : str
        Human-readable explanation, including how to fix the problem.
    file : str, optional
        The file the table was read from (or the table name for in-memory data).
    column : str, optional
        The offending column, when one column is at fault.
    n_rows : int, optional
        How many rows break the rule.
    examples : pandas.DataFrame, optional
        Up to five offending rows, as read.
    problems : list, optional
        Every problem found (``attrition.loading.Problem`` records) when the
        error reports several; ``file``/``column``/``n_rows``/``examples``
        describe the first.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        n_rows: int | None = None,
        examples: pd.DataFrame | None = None,
        problems: list | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.column = column
        self.n_rows = n_rows
        self.examples = examples
        self.problems = problems


class ConfigError(AttritionError, ValueError):
    """The run configuration is invalid (unknown key, wrong type, bad value)."""


class LeakageError(AttritionError, RuntimeError):
    """A computation would use information from after the as-of date."""


class RosterError(AttritionError, ValueError):
    """The scoring roster names employees that cannot be scored on the as-of date."""


class ModelNotFoundError(AttritionError, LookupError):
    """No model could be loaded from the given URI or registry name."""


class NotFittedError(AttritionError, AttributeError):
    """An estimator was used before ``fit`` was called."""


class InsufficientDataError(AttritionError, ValueError):
    """The data are valid but too short or too sparse for the requested model."""


class DataQualityWarning(UserWarning):
    """The data is valid but suspicious (e.g. very few positives)."""


def format_examples(frame: pd.DataFrame, limit: int = 5, columns: Sequence[str] | None = None) -> str:
    """Render up to ``limit`` rows of ``frame`` as an indented text table.

    Row labels are shown as 1-based line numbers of the data (header excluded)
    when the index is a default RangeIndex, so users can find them in the file.

    Examples
    --------
    >>> import pandas as pd
    >>> print(format_examples(pd.DataFrame({"a": [10, 20]})))
         row  a
           1 10
           2 20
    """
    shown = frame.head(limit)
    if columns is not None:
        shown = shown.loc[:, [c for c in columns if c in shown.columns]]
    rows = [int(i) + 1 if isinstance(i, int) else i for i in shown.index]
    shown = shown.reset_index(drop=True)
    shown.insert(0, "row", rows)
    text = shown.to_string(index=False)
    return "\n".join("    " + line for line in text.splitlines())
