"""Features of your own tables, declared in the configuration (``[tables.NAME]``).

``measures`` (numbers observed on a date: ratings, KPIs), for each declared
column ``c`` of table ``NAME``:

* ``NAME_c_mean_{w}d`` — mean of the values dated in ``(t - w, t]``;
* ``NAME_c_last`` — the latest value dated on or before ``t``;
* ``NAME_c_change_{w0}d`` — the mean of the shortest window minus the mean
  over the rest of the longest window (the employee's own earlier level);
* ``NAME_c_mean_{W}d_vs_team`` — the longest window's mean against the team
  median that day (added by the snapshot builder).

``events`` (things that happened on a date: coaching sessions, complaints):

* ``NAME_events_{w}d`` — rows dated in ``(t - w, t]``;
* ``NAME_days_since_last`` — days since the latest row dated on or before ``t``;
* with ``event = "column"``, the same per value ``v``:
  ``NAME_v_events_{w}d`` and ``NAME_v_days_since_last``.

Their labels read in the table's and column's own words (``"rating
(performance), mean over the last 91 days"``).

Examples
--------
>>> from attrition import Tables
>>> from attrition.data import TableDeclaration
>>> decl = TableDeclaration("coaching", "events", "session_date")
>>> rows = pd.DataFrame({"employee_id": ["a", "a"],
...     "session_date": pd.to_datetime(["2024-01-10", "2024-03-10"])})
>>> emp = pd.DataFrame({"employee_id": ["a"]})
>>> fr = pd.DataFrame({"employee_id": ["a"], "as_of": pd.to_datetime(["2024-01-31"])})
>>> t = Tables(emp, declared={"coaching": rows}, declarations={"coaching": decl})
>>> DeclaredFeatures(decl, windows=[28]).build(t, fr).iloc[0].to_dict()
{'coaching_events_28d': 1.0, 'coaching_days_since_last': 21.0}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.data._declared import TableDeclaration, describe_collisions, slug_collisions, value_slug
from attrition.data._tables import Tables
from attrition.exceptions import SchemaError, format_examples
from attrition.features._base import FeatureBuilder, latest_before, safe_ratio, snapshot_keys, trailing_sums

__all__ = ["DeclaredFeatures", "event_values", "value_slug"]


def event_values(frame: pd.DataFrame, decl: TableDeclaration, source: str | None = None) -> tuple[str, ...]:
    """The event values that get their own features: the declared ones, else those in ``frame``.

    Raises :class:`~attrition.exceptions.SchemaError` (naming ``source``, the
    file) when two values found in ``frame`` would share a feature name.

    >>> from attrition.data import TableDeclaration
    >>> decl = TableDeclaration("coaching", "events", "session_date", event="kind")
    >>> try:
    ...     event_values(pd.DataFrame({"kind": ["Skills", "skills", "calls"]}), decl)
    ... except SchemaError as err:
    ...     print(err.column, err.n_rows)
    kind 2
    """
    if decl.event is None:
        return ()
    if decl.values is not None:
        return tuple(decl.values)
    found = tuple(sorted(str(v) for v in frame[decl.event].dropna().unique()))
    shared = slug_collisions(found)
    if shared:
        clash = {v for vals in shared.values() for v in vals}
        rows = frame.loc[frame[decl.event].astype(str).isin(clash) & frame[decl.event].notna()]
        where = source or f"<{decl.name} table>"
        raise SchemaError(
            f"{where}, column {decl.event!r}: event values {describe_collisions(shared)} would share a "
            f"feature name ({len(rows)} rows; features are named after the value in lower case with _ "
            "between words). Make the spellings consistent in the file, or list the values to use "
            f"under [tables.{decl.name}] values = [...].\n" + format_examples(rows.head(5)),
            file=where, column=decl.event, n_rows=len(rows), examples=rows.head(5))
    return found


class DeclaredFeatures(FeatureBuilder):
    """Trailing-window features of one declared table (see the module docs).

    Parameters
    ----------
    declaration : TableDeclaration
        The table's ``[tables.NAME]`` entry.
    windows : sequence of int, default (28, 91, 182)
        Trailing windows in days.
    """

    def __init__(self, declaration: TableDeclaration, windows=(28, 91, 182)) -> None:
        self.declaration = declaration
        self.windows = windows

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.declaration.name

    @property
    def table(self) -> str:  # type: ignore[override]
        return self.declaration.name

    def available(self, tables: Tables) -> bool:
        return self.declaration.name in tables.declared

    def _windows(self) -> list[int]:
        return sorted(int(w) for w in self.windows)

    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        decl = self.declaration
        rows = tables.declared[decl.name]
        keys = snapshot_keys(frame)
        ws = self._windows()
        out: dict[str, np.ndarray] = {}
        rows = rows.assign(_date=pd.to_datetime(rows[decl.date]).astype("datetime64[ns]"))
        if decl.kind == "measures":
            values = {}
            for col in decl.columns:
                v = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype="float64")
                values[f"v_{col}"] = pd.Series(v)
                values[f"n_{col}"] = pd.Series(~np.isnan(v))
            sums = trailing_sums(rows, "_date", values, keys, ws)
            w0, wl = ws[0], ws[-1]
            for col in decl.columns:
                for w in ws:
                    out[f"{decl.name}_{col}_mean_{w}d"] = safe_ratio(sums[f"sum_{w}_v_{col}"],
                                                                     sums[f"sum_{w}_n_{col}"])
                seen = rows.loc[rows[col].notna(), ["employee_id", "_date", col]]
                out[f"{decl.name}_{col}_last"] = pd.to_numeric(
                    latest_before(seen, "_date", [col], keys)[col], errors="coerce").to_numpy(dtype="float64")
                if len(ws) > 1:
                    earlier = safe_ratio(sums[f"sum_{wl}_v_{col}"] - sums[f"sum_{w0}_v_{col}"],
                                         sums[f"sum_{wl}_n_{col}"] - sums[f"sum_{w0}_n_{col}"])
                    out[f"{decl.name}_{col}_change_{w0}d"] = out[f"{decl.name}_{col}_mean_{w0}d"] - earlier
            return pd.DataFrame(out)
        families = [("", np.ones(len(rows), bool))]
        for value in event_values(rows, decl, tables.source(decl.name)):
            families.append((f"_{value_slug(value)}",
                             (rows[decl.event].astype(object) == value).to_numpy(dtype=bool)))
        counts = {f"c{i}": pd.Series(mask) for i, (_, mask) in enumerate(families)}
        sums = trailing_sums(rows, "_date", counts, keys, ws)
        as_of = keys["as_of"].to_numpy()
        for i, (suffix, mask) in enumerate(families):
            for w in ws:
                out[f"{decl.name}{suffix}_events_{w}d"] = sums[f"sum_{w}_c{i}"].to_numpy()
            sub = rows.loc[mask, ["employee_id", "_date"]]
            last = latest_before(sub, "_date", [], keys)["_date"].to_numpy()
            out[f"{decl.name}{suffix}_days_since_last"] = ((as_of - last) / np.timedelta64(1, "D")).astype("float64")
        return pd.DataFrame(out)

    def peer_features(self) -> list[str]:
        decl = self.declaration
        if decl.kind != "measures":
            return []
        return [f"{decl.name}_{col}_mean_{self._windows()[-1]}d" for col in decl.columns]

    def labels(self) -> dict[str, str]:
        decl = self.declaration
        ws = self._windows()
        labels: dict[str, str] = {}
        if decl.kind == "measures":
            for col in decl.columns:
                what = f"{col} ({decl.name})"
                for w in ws:
                    labels[f"{decl.name}_{col}_mean_{w}d"] = f"{what}, mean over the last {w} days"
                labels[f"{decl.name}_{col}_last"] = f"{what}, latest value"
                if len(ws) > 1:
                    labels[f"{decl.name}_{col}_change_{ws[0]}d"] = (
                        f"{what}, last {ws[0]} days against own earlier level")
            return labels
        families = [("", decl.name)] + [(f"_{value_slug(v)}", f"{decl.name}: {v}") for v in (decl.values or ())]
        for suffix, what in families:
            for w in ws:
                labels[f"{decl.name}{suffix}_events_{w}d"] = f"{what}, events in the last {w} days"
            labels[f"{decl.name}{suffix}_days_since_last"] = f"{what}, days since the last one"
        return labels

    def __repr__(self) -> str:
        return f"DeclaredFeatures({self.declaration!r}, windows={self.windows!r})"
