"""The snapshot spec: everything that defines how a model's rows were built.

A :class:`SnapshotSpec` is a frozen value object. Training builds its
snapshots from one, the fitted :class:`~attrition.AttritionModel` keeps it
(``model.spec_``, saved in the model's JSON beside the trees), and scoring,
reports, what-if, backtests and drift checks rebuild features only through
it (:meth:`SnapshotSpec.build`, or :meth:`AttritionModel.snapshots`). So
training and scoring cannot drift apart: they read the same object.

Examples
--------
>>> spec = SnapshotSpec(horizon_days=60, windows=(28, 91))
>>> spec.horizon_days, spec.windows, spec.target
(60, (28, 91), 'attrition')
>>> SnapshotSpec.from_dict(spec.to_dict()) == spec
True
>>> spec.for_target("quiet_quitting").quiet_quitting_definition().recent_window
28
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from attrition.data._declared import TableDeclaration, declarations_of
from attrition.data._drift import check_schema, table_schema
from attrition.data._tables import TABLE_NAMES, Tables
from attrition.exceptions import ConfigError, InsufficientDataError, SchemaError
from attrition.features import FeatureBuilder, declared_builders, default_builders, event_values
from attrition.snapshots._build import (
    LABEL_COLUMNS,
    PartialRows,
    build_frame,
    feature_labels_of,
    make_labels,
)
from attrition.snapshots._quiet_quitting import QuietQuittingDefinition, quiet_quitting_snapshots

__all__ = ["SnapshotSpec", "build_snapshots", "feature_labels", "TARGETS", "SURVEY_PRIVACY_MODES"]

log = logging.getLogger(__name__)

#: What a model can predict; each target is a label of :mod:`attrition.snapshots`.
TARGETS: tuple[str, ...] = ("attrition", "quiet_quitting")
#: Allowed values of :attr:`SnapshotSpec.survey_privacy`.
SURVEY_PRIVACY_MODES: tuple[str, ...] = ("team", "identified", "off")


def _frozen_mapping(value: Mapping[str, Any] | None) -> dict:
    return {str(k): (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in (value or {}).items()}


@dataclass(frozen=True)
class SnapshotSpec:
    """How snapshot rows are built: tables, windows, survey privacy, target and horizon.

    Parameters
    ----------
    horizon_days : int, default 90
        The label looks ``horizon_days`` ahead of each as-of date.
    windows : tuple of int, default (28, 91, 182)
        Trailing windows, in days, of the daily-table features.
    survey_privacy : {"team", "identified", "off"}, default "team"
        How survey answers may enter features (see
        :mod:`attrition.features.survey`).
    min_group_size : int, default 5
        Fewest people behind any team figure (survey aggregates, team
        medians used as references).
    target : {"attrition", "quiet_quitting"}, default "attrition"
        What the label means: a voluntary exit within the horizon, or entry
        into the quiet-quitting state.
    quiet_quitting : QuietQuittingDefinition, optional
        The quiet-quitting definition (index, state, label). Default: the
        defaults on this spec's windows (:meth:`quiet_quitting_definition`).
    tables : dict of str to tuple of str, optional
        The tables, and their columns, the model was trained on (recorded by
        :meth:`AttritionModel.fit`); :meth:`build` refuses tables that lack
        one of them.
    columns : dict, optional
        The per-table renaming from the files' column names to the contract's
        that the training data used (``{"schedule": {"shift_date": "date"}}``).
    declared : dict, optional
        Your own tables (``[tables.NAME]`` in the configuration) and how
        they are read, ``{name: {"kind", "date", "columns", "event",
        "values"}}`` (see :class:`attrition.data.TableDeclaration`). ``None``:
        those the tables given to :meth:`build` carry; the built frame's spec
        records them (with the event values found), so a model scores with
        what it was trained on.
    horizons : tuple of int, default (30, 90, 180, 365)
        The horizons, in days, at which the attrition model's survival curve
        is read out when scoring (``attrition_risk_<d>d``); at most 365 days
        (the curve covers 12 months). ``horizon_days`` stays the horizon of
        ``attrition_risk`` and of the binary label.
    """

    horizon_days: int = 90
    windows: tuple[int, ...] = (28, 91, 182)
    survey_privacy: str = "team"
    min_group_size: int = 5
    target: str = "attrition"
    quiet_quitting: QuietQuittingDefinition | None = None
    tables: Mapping[str, tuple[str, ...]] | None = None
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    declared: Mapping[str, Mapping[str, Any]] | None = None
    horizons: tuple[int, ...] = (30, 90, 180, 365)

    # ---------------------------------------------------------------- checks
    def validate(self) -> SnapshotSpec:
        """Raise :class:`ConfigError` when a setting is out of range; return ``self``."""
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ConfigError(msg)

        need(isinstance(self.horizon_days, int) and not isinstance(self.horizon_days, bool)
             and 1 <= self.horizon_days <= 730,
             f"horizon_days must be a whole number of days from 1 to 730, got {self.horizon_days!r}.")
        wins = tuple(self.windows)
        need(len(wins) > 0 and all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 730
                                   for w in wins),
             f"windows must be whole numbers of days from 1 to 730, got {self.windows!r}.")
        need(list(wins) == sorted(set(wins)), f"windows must be distinct and increasing, got {self.windows!r}.")
        need(self.survey_privacy in SURVEY_PRIVACY_MODES,
             f"survey_privacy must be one of {', '.join(SURVEY_PRIVACY_MODES)}, got {self.survey_privacy!r}.")
        need(isinstance(self.min_group_size, int) and 2 <= self.min_group_size <= 1000,
             f"min_group_size must be a whole number from 2 to 1000, got {self.min_group_size!r}.")
        hs = tuple(self.horizons)
        need(len(hs) > 0 and all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 365
                                 for h in hs) and list(hs) == sorted(set(hs)),
             f"horizons must be distinct, increasing whole numbers of days from 1 to 365, got {self.horizons!r}.")
        need(self.target in TARGETS, f"target must be one of {', '.join(TARGETS)}, got {self.target!r}.")
        declared = self.declarations()  # raises ConfigError for a bad declaration
        if self.tables is not None:
            unknown = sorted(set(self.tables) - set(TABLE_NAMES) - set(declared))
            need(not unknown, f"tables: unknown table(s) {', '.join(unknown)}; the tables are "
                              f"{', '.join(TABLE_NAMES)}.")
        if self.target == "quiet_quitting" or self.quiet_quitting is not None:
            self._validate_quiet_quitting(wins)
        return self

    def _validate_quiet_quitting(self, wins: tuple[int, ...]) -> None:
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ConfigError(msg)

        definition = self.quiet_quitting_definition()
        definition.validate()
        need(definition.recent_window == wins[0] and definition.baseline_window in wins,
             f"quiet_quitting: recent_window {definition.recent_window} must be the shortest snapshot "
             f"window and baseline_window {definition.baseline_window} one of the windows {list(wins)} "
             "(the snapshots hold changes only for the shortest). Leave both out to use the shortest "
             "and longest window.")
        need(definition.use_surveys == (self.survey_privacy == "identified"),
             "quiet_quitting: use_surveys must follow survey_privacy (individual survey answers enter "
             "the index only with survey_privacy = 'identified').")

    # --------------------------------------------------------------- derived
    def quiet_quitting_definition(self) -> QuietQuittingDefinition:
        """The quiet-quitting definition in force (the given one, else the defaults on these windows)."""
        if self.quiet_quitting is not None:
            return self.quiet_quitting
        wins = sorted(self.windows)
        return QuietQuittingDefinition(recent_window=wins[0], baseline_window=wins[-1],
                                       use_surveys=self.survey_privacy == "identified")

    def for_target(self, target: str) -> SnapshotSpec:
        """The same spec labelled for another target."""
        return dataclasses.replace(self, target=target).validate()

    def declarations(self) -> dict[str, TableDeclaration]:
        """The declared tables of this spec, ``{name: TableDeclaration}``."""
        return declarations_of(self.declared)

    def with_tables(self, tables: Tables) -> SnapshotSpec:
        """This spec with its declared tables resolved against ``tables``.

        No declarations of its own: those ``tables`` carry. Event values not
        given: the values found in the table (recorded from now on).
        """
        declared = self.declarations() if self.declared is not None else declarations_of(tables.declarations)
        resolved = {}
        for name, decl in declared.items():
            if decl.kind == "events" and decl.event and decl.values is None and name in tables.declared:
                decl = dataclasses.replace(decl, values=event_values(tables.declared[name], decl,
                                                                     tables.source(name)))
            resolved[name] = decl.to_dict()
        if not resolved and self.declared is None:
            return self
        return dataclasses.replace(self, declared=resolved)

    def builders(self) -> list[FeatureBuilder]:
        """The default feature builders on this spec's windows and survey settings,
        and one per declared table."""
        return default_builders(self.windows, survey_privacy=self.survey_privacy,
                                min_group_size=self.min_group_size) + declared_builders(
            self.declarations(), self.windows)

    def feature_labels(self) -> dict[str, str]:
        """Readable labels of every feature this spec can build, by feature name."""
        return feature_labels_of(self.builders())

    # ----------------------------------------------------------------- build
    def build(
        self,
        tables: Tables,
        as_of: Iterable | str | pd.Timestamp | None = None,
        *,
        labels: bool = True,
        builders: Sequence[FeatureBuilder] | None = None,
        partial: PartialRows | None = None,
    ) -> pd.DataFrame:
        """Build the snapshot frame this spec describes (see :func:`attrition.build_snapshots`).

        When the spec records training ``tables``, a table present then and
        missing now is refused with a readable diff. With ``labels`` the
        frame carries this spec's target label; ``attrs["spec"]`` records the
        spec and ``attrs["input_schema"]`` the tables' columns. ``partial``:
        the rows of some of the dates need only some features
        (:class:`attrition.snapshots.PartialRows`; the others are missing
        there, the other dates' rows are those of a full build).
        """
        check_schema(self.tables, tables)
        missing = sorted(set(self.declarations()) - set(tables.declared))
        if missing:
            raise SchemaError(
                f"The model was trained with your own table(s) {', '.join(missing)}, which the input "
                f"lacks. Declare them ([tables.{missing[0]}] in the configuration) and put "
                f"{missing[0]}.csv in the data folder, or retrain without them.", file=missing[0])
        spec = self.with_tables(tables)
        frame = build_frame(tables, as_of, spec.horizon_days, windows=spec.windows,
                            builders=spec.builders() if builders is None else builders, labels=labels,
                            partial=partial)
        frame.attrs["input_schema"] = table_schema(tables)
        if builders is not None:  # not what this spec rebuilds: fit warns
            frame.attrs["custom_builders"] = [type(b).__name__ for b in builders]
        if labels and spec.target != "attrition":
            return spec.relabel(frame, tables)
        frame.attrs["spec"] = spec.to_dict()
        return frame

    def relabel(self, snapshots: pd.DataFrame, tables: Tables, *, state_fit_before=None) -> pd.DataFrame:
        """The same snapshot rows and features with this spec's target label.

        So one build of the features serves several targets (``train --target all``).
        ``state_fit_before`` (quiet quitting): fit the state model on the rows
        dated before that day only, e.g. the first validation month end
        (:func:`attrition.snapshots.quiet_quitting_snapshots`).
        """
        built = snapshots.attrs.get("spec")
        if built is not None:
            theirs = SnapshotSpec.from_dict(built)
            if (theirs.windows, theirs.survey_privacy, theirs.min_group_size) != (
                    self.windows, self.survey_privacy, self.min_group_size):
                raise ConfigError("relabel: the snapshots were built with other windows or survey "
                                  "settings than this spec's; build them with this spec.")
        # The declared tables the rows were built from stay recorded (a spec without
        # declarations of its own adopts those the build found).
        me = (dataclasses.replace(self, declared=theirs.declared)
              if built is not None and self.declared is None else self.with_tables(tables))
        if self.target == "attrition":
            labels = make_labels(tables.employees, snapshots, self.horizon_days, tables.infer_export_date())
            out = snapshots.drop(columns=[c for c in LABEL_COLUMNS if c in snapshots.columns])
            out = pd.concat([out, labels.set_axis(snapshots.index)], axis=1)
            out.attrs = {**snapshots.attrs, "horizon_days": int(self.horizon_days)}
        else:
            out = quiet_quitting_snapshots(snapshots, tables, self.horizon_days,
                                           self.quiet_quitting_definition(),
                                           state_fit_before=state_fit_before)
            fitted = dict(out.attrs["quiet_quitting_definition"])
            use_surveys = bool(fitted.pop("use_surveys"))
            # The state model fitted on these rows is part of the spec from now on.
            out.attrs["spec"] = dataclasses.replace(
                me, quiet_quitting=QuietQuittingDefinition.from_dict(fitted, use_surveys=use_surveys)
            ).to_dict()
            if not out["label"].notna().any():
                raise InsufficientDataError(
                    "No quiet-quitting label could be formed: the index needs at least one effort "
                    "signal (schedule or workload exports, or surveys with survey_privacy = "
                    "'identified') over several months. Provide those tables, or train the "
                    "attrition target only."
                )
            return out
        out.attrs["spec"] = me.to_dict()
        return out

    # ---------------------------------------------------------------- persist
    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable mapping (:meth:`from_dict` reads it back)."""
        return {
            "horizon_days": int(self.horizon_days),
            "windows": [int(w) for w in self.windows],
            "survey_privacy": self.survey_privacy,
            "min_group_size": int(self.min_group_size),
            "target": self.target,
            "quiet_quitting": self.quiet_quitting_definition().to_dict(),
            "tables": None if self.tables is None else {k: list(v) for k, v in self.tables.items()},
            "columns": {k: dict(v) for k, v in (self.columns or {}).items()},
            "declared": None if self.declared is None else {
                name: decl.to_dict() for name, decl in self.declarations().items()},
            "horizons": [int(h) for h in self.horizons],
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SnapshotSpec:
        """A validated spec from :meth:`to_dict`'s mapping."""
        values = dict(values)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"snapshot spec: unknown key(s) {', '.join(unknown)}; the keys are "
                              f"{', '.join(sorted(known))}.")
        if "windows" in values:
            values["windows"] = tuple(int(w) for w in values["windows"])
        if "horizons" in values:  # specs saved before issue 14 have none: the default
            values["horizons"] = tuple(int(h) for h in values["horizons"])
        qq = values.get("quiet_quitting")
        if isinstance(qq, Mapping):
            qq = dict(qq)
            use_surveys = bool(qq.pop("use_surveys", values.get("survey_privacy") == "identified"))
            values["quiet_quitting"] = QuietQuittingDefinition.from_dict(qq, use_surveys=use_surveys)
        if values.get("tables") is not None:
            values["tables"] = _frozen_mapping(values["tables"])
        if "columns" in values:
            values["columns"] = {str(k): dict(v) for k, v in (values["columns"] or {}).items()}
        if values.get("declared") is not None:
            values["declared"] = {str(k): dict(v) for k, v in values["declared"].items()}
        return cls(**values).validate()

    def __hash__(self) -> int:  # mappings inside: hash the canonical form
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SnapshotSpec):
            return NotImplemented
        return self.to_dict() == other.to_dict()


def build_snapshots(
    tables: Tables,
    as_of: Iterable | str | pd.Timestamp | None = None,
    horizon_days: int = 90,
    *,
    windows: Sequence[int] = (28, 91, 182),
    builders: Sequence[FeatureBuilder] | None = None,
    labels: bool = True,
    survey_privacy: str = "team",
    min_group_size: int = 5,
) -> pd.DataFrame:
    """Build point-in-time snapshots: one row per employee employed on each as-of date.

    Parameters
    ----------
    tables : Tables
        Validated tables (see :func:`attrition.load_tables`).
    as_of : date or iterable of dates, optional
        As-of dates. Default: every month end of the data's range
        (:func:`default_as_of_dates`).
    horizon_days : int, default 90
        Label horizon.
    windows : sequence of int, default (28, 91, 182)
        Trailing windows of the default builders.
    builders : sequence of FeatureBuilder, optional
        Feature builders; default one per source table. Builders whose table
        is absent are skipped, so missing optional tables simply produce no
        features.
    labels : bool, default True
        Add ``label`` and ``label_status`` (see the module docs).
    survey_privacy : {"team", "identified", "off"}, default "team"
        How survey answers may enter the default builders' features (see
        :mod:`attrition.features.survey`); ignored when ``builders`` is given.
    min_group_size : int, default 5
        Fewest respondents behind a team survey figure.

    Returns
    -------
    pandas.DataFrame
        ``employee_id``, ``as_of``, ``team_id``, the features, then the label
        columns. Rows are ordered by as-of date, then by the HR master's order.
        ``attrs["spec"]`` records the :class:`SnapshotSpec` (checked and
        adopted by :meth:`AttritionModel.fit`). A windowed feature whose window reaches
        back before the first row of its table is ``NaN`` (unknown), not a
        count over a partial window.

    Raises
    ------
    LeakageError
        If an as-of date lies after the export date (features would silently
        miss data) or a builder returns a protected attribute. When the
        export date is inferred from the newest row, up to
        :data:`INFERRED_EXPORT_SLACK_DAYS` days after it only warn.

    Examples
    --------
    >>> from attrition import simulate
    >>> centre = simulate(n_employees=30, months=4, seed=0)
    >>> snaps = build_snapshots(centre.tables, horizon_days=30)
    >>> {"employee_id", "as_of", "tenure_days", "label"} <= set(snaps.columns)
    True
    """
    spec = SnapshotSpec(horizon_days=int(horizon_days), windows=tuple(windows),
                        survey_privacy=survey_privacy, min_group_size=int(min_group_size)).validate()
    return spec.build(tables, as_of, labels=labels, builders=builders)


def feature_labels(builders: Sequence[FeatureBuilder] | None = None, windows=(28, 91, 182),
                   *, survey_privacy: str = "team", min_group_size: int = 5) -> dict[str, str]:
    """Readable labels of every feature the builders (default: those of the settings) can make."""
    if builders is None:
        return SnapshotSpec(windows=tuple(windows), survey_privacy=survey_privacy,
                            min_group_size=min_group_size).feature_labels()
    return feature_labels_of(builders)
