"""Schema drift between the tables a model was trained on and those it scores.

:func:`table_schema` records which tables were present at training and their
columns; :func:`attrition.train` stores it with the model
(``snapshot_params_["input_schema"]``). :func:`check_schema` compares it with
the tables handed to scoring and refuses, with a readable diff, a table that
was present at training and is missing now — the model would otherwise score
everyone as if, say, nobody had answered a survey. Columns the data contract
does not know are reported as information only (they are ignored).

Examples
--------
>>> trained = {"employees": ["employee_id", "hire_date"], "surveys": ["employee_id", "score"]}
>>> print(schema_diff(trained, {"employees": ["employee_id", "hire_date", "shoe_size"]}))
  tables missing now (present at training): surveys
  employees: new columns (ignored): shoe_size
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import pandas as pd

from attrition.data._tables import Tables
from attrition.exceptions import DataQualityWarning, SchemaError

__all__ = ["table_schema", "schema_diff", "check_schema", "warn_unseen_categories"]


def table_schema(tables: Tables) -> dict[str, list[str]]:
    """``{table: [columns]}`` of every table present, your own declared tables included."""
    out = {name: [str(c) for c in frame.columns] for name, frame in tables}
    out.update({name: [str(c) for c in frame.columns] for name, frame in tables.declared.items()})
    return out


def schema_diff(trained: Mapping[str, Sequence[str]], now: Mapping[str, Sequence[str]]) -> str:
    """A readable, line-per-difference diff of two :func:`table_schema` records ('' if none)."""
    lines = []
    missing = [t for t in trained if t not in now]
    added = [t for t in now if t not in trained]
    if missing:
        lines.append(f"  tables missing now (present at training): {', '.join(missing)}")
    if added:
        lines.append(f"  tables new now (absent at training, ignored): {', '.join(added)}")
    for table in trained:
        if table not in now:
            continue
        gone = [c for c in trained[table] if c not in now[table]]
        new = [c for c in now[table] if c not in trained[table]]
        if gone:
            lines.append(f"  {table}: columns missing now: {', '.join(gone)}")
        if new:
            lines.append(f"  {table}: new columns (ignored): {', '.join(new)}")
    return "\n".join(lines)


def check_schema(trained: Mapping[str, Sequence[str]] | None, tables: Tables) -> None:
    """Raise :class:`SchemaError` if a table the model was trained with is missing.

    ``trained`` is ``None`` for models saved before schemas were recorded
    (nothing to compare).
    """
    if not trained:
        return
    now = table_schema(tables)
    missing = [t for t in trained if t not in now]
    if missing:
        raise SchemaError(
            f"The input tables differ from those the model was trained on:\n{schema_diff(trained, now)}\n"
            f"Export {', '.join(f'{t}.csv' for t in missing)} again for the scoring date (the model "
            "needs the same tables as at training), or retrain without "
            f"{'it' if len(missing) == 1 else 'them'}.",
            file=missing[0],
        )


def warn_unseen_categories(categories: Mapping[str, Sequence[str]], frame: pd.DataFrame,
                           source: str = "employees") -> dict[str, list[str]]:
    """Warn about categorical values the model never saw in training.

    The model scores such a value as missing (LightGBM's rule for an unseen
    category); that is a decision, so it is said out loud rather than done
    silently. Returns ``{column: [new values]}``.

    >>> import warnings
    >>> fr = pd.DataFrame({"site": ["north", "atlantis", "atlantis"]})
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_unseen_categories({"site": ["north", "south"]}, fr)
    {'site': ['atlantis']}
    >>> "2 row(s)" in str(w[0].message)
    True
    """
    found: dict[str, list[str]] = {}
    for col, known in categories.items():
        if col not in frame.columns:
            continue
        values = frame[col].astype(object)
        new = values.notna() & ~values.astype(str).isin([str(k) for k in known])
        if new.any():
            found[col] = sorted(values[new].astype(str).unique().tolist())
            warnings.warn(
                f"{source}: column '{col}': {int(new.sum())} row(s) have value(s) the model never saw "
                f"in training: {', '.join(map(repr, found[col][:5]))}"
                f"{' ...' if len(found[col]) > 5 else ''} (known: {', '.join(map(repr, known))}). "
                "They are scored as if the value were missing. Retrain the model to learn the new "
                "value, or map it to a known one in the export.",
                DataQualityWarning,
                stacklevel=3,
            )
    return found
