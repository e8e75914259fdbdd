"""Run-level settings shared by the library and the command line.

One typed :class:`Config` holds everything a run needs to know that is not
data: where the data is, the horizon, the trailing windows, how input
columns are named, where MLflow tracks, and the model's settings. It loads
from TOML or YAML; the CLI's options override the file; the environment
variable ``MLFLOW_TRACKING_URI`` overrides the default tracking store.

Examples
--------
>>> cfg = Config.from_dict({"horizon_days": 60, "columns": {"schedule": {"shift_date": "date"}}})
>>> cfg.horizon_days, cfg.columns["schedule"]["shift_date"]
(60, 'date')
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from attrition.analysis._fairness import fairness_thresholds
from attrition.data._declared import declarations_of
from attrition.data._loading import load_tables
from attrition.data._tables import TABLE_NAMES, Tables
from attrition.exceptions import ConfigError
from attrition.models._flat import FLAT_PROTECTED
from attrition.models._model import DEFAULT_LGBM_PARAMS
from attrition.snapshots._quiet_quitting import QuietQuittingDefinition
from attrition.snapshots._spec import SURVEY_PRIVACY_MODES, SnapshotSpec
from attrition.tracking._mlflow import default_tracking_uri

__all__ = ["Config", "DEFAULT_LGBM_PARAMS", "SURVEY_PRIVACY_MODES"]



@dataclass
class Config:
    """Settings of one run.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder with one ``<table>.csv`` or ``<table>.parquet`` per table.
    horizon_days : int, default 90
        A voluntary exit within ``(as_of, as_of + horizon_days]`` is a positive.
    windows : tuple of int, default (28, 91, 182)
        Trailing windows, in days, over which daily data are summarised.
    horizons : tuple of int, default (30, 90, 180, 365)
        Horizons, in days (at most 365), of the extra risk columns
        ``attrition_risk_<d>d`` that scoring reads off the survival curve.
    export_date : str, optional
        ``YYYY-MM-DD`` day the exports were taken; inferred when omitted.
    columns : dict
        Per-table renaming from the file's column names to the contract's,
        e.g. ``{"schedule": {"shift_date": "date"}}``.
    experiment : str, default "attrition"
        MLflow experiment name.
    tracking_uri : str, optional
        MLflow tracking URI. Default: ``$MLFLOW_TRACKING_URI`` or a SQLite
        file ``mlflow.db`` in the working directory.
    registered_model : str, optional
        Register every trained model under this name (alias ``champion``;
        ``--register`` overrides it), and the name ``score`` loads (default
        ``attrition``).
    valid_months : int, default 3
        Latest fully observed as-of months held out, out of time, for early
        stopping, calibration and metrics.
    random_state : int, default 0
        Seed of every random choice in training.
    threads : int, default 1
        OpenMP threads of LightGBM and scikit-learn while ``attrition train``
        and ``attrition backtest`` run (:func:`attrition.models.limited_threads`). The models are small
        and boost in short rounds, so on a busy machine one thread costs far
        less CPU for the same trees; ``0`` leaves the libraries' default (every
        core), which may be faster on a quiet machine with many cores. The
        trees are the same either way.
    lgbm_params : dict
        Overrides of :data:`DEFAULT_LGBM_PARAMS`.
    risk_bands : dict
        ``{"medium": m, "high": h}``: multiples of the training base rate at
        which the band becomes medium and high (defaults 1.0 and 2.0).
    n_drivers : int, default 3
        Drivers written per scored employee.
    min_group_size : int, default 5
        Smallest group (team, site, survey aggregate, fairness group) whose
        figures are shown anywhere; smaller groups are suppressed so no
        individual can be re-identified.
    survey_privacy : {"team", "identified", "off"}, default "team"
        How pulse-survey answers may enter features: ``team`` uses only team
        aggregates over at least ``min_group_size`` respondents,
        ``identified`` uses individual answers (only where the organisation
        has that right), ``off`` ignores surveys.
    id_salt : str, optional
        Secret key for pseudonymised employee ids in MLflow artefacts and
        reports. Default: ``$ATTRITION_ID_SALT``, else a random key kept in
        ``~/.attrition/id_salt`` (outside the tracking store).
    flat_protected : list of str
        Flat-table mode (``train --table``): column names dropped as protected
        attributes, compared in lower case without separators (default
        :data:`attrition.models.FLAT_PROTECTED`: gender, age, birth year, marital
        status, ...). Set to ``[]`` to keep every column.
    fairness : dict
        Overrides of the fairness-audit thresholds
        (:data:`attrition.analysis.DEFAULT_FAIRNESS_THRESHOLDS`: ``max_auc_gap``
        0.10, ``max_calibration_gap`` 0.05, ``min_flagged_ratio`` 0.8,
        ``max_fnr_gap`` 0.20, ``max_proxy_auc`` 0.75), each from 0 to 1.
    tables : dict
        Your own tables, ``{name: {"kind": "measures" | "events", "date":
        column, "columns": [...], "event": column}}`` (``[tables.NAME]`` in a
        TOML file; see :class:`attrition.data.TableDeclaration`): the file
        ``NAME.csv`` / ``NAME.parquet`` in the data folder is read, validated
        and turned into features.
    observed_from : str, optional
        ``YYYY-MM-DD`` first day the exports observe (a system migration, a
        panel that begins mid-stream). Default: the earliest dated row of the
        activity tables. No training or backtest rows are built for as-of
        dates before it.
    quiet_quitting : dict
        Overrides of the quiet-quitting definition's defaults
        (:class:`attrition.QuietQuittingDefinition`): e.g.
        ``{"state_threshold": 35, "weights": {"csat": 0}}``. Keys:
        ``state_threshold``, ``full_signal_z``, ``own_weight``,
        ``recent_window``, ``baseline_window``, ``weights``, ``bands``.
    """

    data_dir: Path | None = None
    horizon_days: int = 90
    windows: tuple[int, ...] = (28, 91, 182)
    horizons: tuple[int, ...] = (30, 90, 180, 365)
    export_date: str | None = None
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    experiment: str = "attrition"
    tracking_uri: str | None = None
    registered_model: str | None = None
    valid_months: int = 3
    random_state: int = 0
    threads: int = 1
    lgbm_params: dict[str, Any] = field(default_factory=dict)
    risk_bands: dict[str, float] = field(default_factory=lambda: {"medium": 1.0, "high": 2.0})
    n_drivers: int = 3
    min_group_size: int = 5
    survey_privacy: str = "team"
    id_salt: str | None = None
    flat_protected: list[str] = field(default_factory=lambda: list(FLAT_PROTECTED))
    fairness: dict[str, float] = field(default_factory=dict)
    quiet_quitting: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    observed_from: str | None = None

    # ------------------------------------------------------------------ build
    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        """Build and validate a config from a mapping (e.g. a parsed file)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"Unknown configuration key(s): {', '.join(unknown)}. "
                f"Valid keys are: {', '.join(sorted(known))}."
            )
        values = dict(values)
        if "windows" in values:
            values["windows"] = tuple(values["windows"])
        if "horizons" in values:
            values["horizons"] = tuple(values["horizons"])
        if values.get("data_dir") is not None:
            values["data_dir"] = Path(values["data_dir"])
        cfg = cls(**values)
        cfg.validate()
        return cfg

    @classmethod
    def from_file(cls, path: str | Path) -> Config:
        """Read a TOML (``.toml``) or YAML (``.yaml``/``.yml``) configuration file.

        Relative ``data_dir`` paths are taken relative to the file's folder.
        """
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Configuration file {path} does not exist.")
        try:
            if path.suffix == ".toml":
                values = tomllib.loads(path.read_text(encoding="utf-8"))
            elif path.suffix in {".yaml", ".yml"}:
                import yaml

                values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            else:
                raise ConfigError(
                    f"Configuration file {path} must end in .toml, .yaml or .yml."
                )
        except (tomllib.TOMLDecodeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"Cannot parse configuration file {path}: {exc}") from exc
        if not isinstance(values, dict):
            raise ConfigError(f"Configuration file {path} must hold a mapping of keys to values.")
        if values.get("data_dir") is not None and not Path(values["data_dir"]).is_absolute():
            values["data_dir"] = path.parent / values["data_dir"]
        return cls.from_dict(values)

    def replace(self, **changes: Any) -> Config:
        """A validated copy with some settings changed; ``None`` values are ignored."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "data_dir" in changes:
            changes["data_dir"] = Path(changes["data_dir"])
        cfg = dataclasses.replace(self, **changes)
        cfg.validate()
        return cfg

    # --------------------------------------------------------------- validate
    def validate(self) -> None:
        """Raise :class:`ConfigError` if any setting is out of range."""
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ConfigError(msg)

        need(isinstance(self.horizon_days, int) and 1 <= self.horizon_days <= 730,
             f"horizon_days must be a whole number of days from 1 to 730, got {self.horizon_days!r}.")
        need(len(self.windows) > 0 and all(isinstance(w, int) and 1 <= w <= 730 for w in self.windows),
             f"windows must be whole numbers of days from 1 to 730, got {self.windows!r}.")
        need(list(self.windows) == sorted(set(self.windows)),
             f"windows must be distinct and increasing, got {self.windows!r}.")
        need(isinstance(self.valid_months, int) and 1 <= self.valid_months <= 24,
             f"valid_months must be from 1 to 24, got {self.valid_months!r}.")
        need(isinstance(self.n_drivers, int) and 0 <= self.n_drivers <= 20,
             f"n_drivers must be from 0 to 20, got {self.n_drivers!r}.")
        need(isinstance(self.random_state, int), "random_state must be an integer.")
        need(isinstance(self.threads, int) and not isinstance(self.threads, bool) and 0 <= self.threads <= 1024,
             f"threads must be a whole number from 0 (every core) to 1024, got {self.threads!r}.")
        need(isinstance(self.min_group_size, int) and 2 <= self.min_group_size <= 1000,
             f"min_group_size must be a whole number from 2 to 1000, got {self.min_group_size!r}.")
        need(self.survey_privacy in SURVEY_PRIVACY_MODES,
             f"survey_privacy must be one of {', '.join(SURVEY_PRIVACY_MODES)}, "
             f"got {self.survey_privacy!r}.")
        need(self.id_salt is None or (isinstance(self.id_salt, str) and len(self.id_salt) >= 16),
             "id_salt must be a secret string of at least 16 characters.")
        need(isinstance(self.fairness, dict), "fairness must map threshold names to numbers.")
        try:
            fairness_thresholds(self.fairness)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        need(isinstance(self.experiment, str) and self.experiment != "", "experiment must be a name.")
        need(self.registered_model is None or (isinstance(self.registered_model, str)
                                                and self.registered_model != ""),
             "registered_model must be a name.")
        need(isinstance(self.lgbm_params, dict), "lgbm_params must be a mapping.")
        need(isinstance(self.flat_protected, (list, tuple)) and all(isinstance(c, str) for c in self.flat_protected),
             "flat_protected must be a list of column names.")
        bands = self.risk_bands
        need(isinstance(bands, dict) and set(bands) == {"medium", "high"},
             f"risk_bands must have exactly the keys 'medium' and 'high', got {bands!r}.")
        need(0 < bands["medium"] < bands["high"],
             f"risk_bands needs 0 < medium < high, got {bands!r}.")
        if self.export_date is not None:
            try:
                pd.Timestamp(self.export_date)
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"export_date must be a YYYY-MM-DD date, got {self.export_date!r}."
                ) from exc
        need(isinstance(self.quiet_quitting, dict), "quiet_quitting must be a mapping of settings.")
        need(isinstance(self.tables, dict), "tables must map your own table names to their "
             "settings ([tables.NAME] with kind, date, columns, event).")
        declarations_of(self.tables)  # ConfigError for a bad declaration
        if self.observed_from is not None:
            try:
                pd.Timestamp(self.observed_from)
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"observed_from must be a YYYY-MM-DD date, got {self.observed_from!r}.") from exc
        need(isinstance(self.columns, dict), "columns must map table names to renamings.")
        for table, mapping in self.columns.items():
            need(table in TABLE_NAMES or table in self.tables,
                 f"columns: unknown table {table!r}; the tables are {', '.join(TABLE_NAMES)}.")
            need(isinstance(mapping, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()),
                f"columns.{table} must map the file's column names to contract names.")
        self.snapshot_spec()  # raises ConfigError when the quiet-quitting settings are invalid

    # ----------------------------------------------------------------- derive
    @property
    def lgbm(self) -> dict[str, Any]:
        """The LightGBM parameters in force (defaults updated by the config)."""
        params = {**DEFAULT_LGBM_PARAMS, **self.lgbm_params}
        params.setdefault("random_state", self.random_state)
        return params

    def resolved_tracking_uri(self) -> str:
        """The MLflow tracking URI this run uses.

        Order: the config's ``tracking_uri``, then ``$MLFLOW_TRACKING_URI``,
        then ``sqlite:///<working directory>/mlflow.db``.
        """
        return self.tracking_uri or default_tracking_uri()

    def quiet_quitting_definition(self, windows=None) -> QuietQuittingDefinition:
        """The quiet-quitting definition of this configuration (surveys only if ``identified``).

        ``recent_window`` and ``baseline_window`` default to the shortest and
        longest snapshot window (``windows``, default the config's); the recent
        window must be the shortest, whose change features the snapshots hold.
        """
        values = dict(self.quiet_quitting or {})
        wins = sorted(windows or self.windows or ())
        if wins:
            values.setdefault("recent_window", wins[0])
            values.setdefault("baseline_window", wins[-1])
        return QuietQuittingDefinition.from_dict(values, use_surveys=self.survey_privacy == "identified")

    def snapshot_spec(self, target: str = "attrition") -> SnapshotSpec:
        """The :class:`SnapshotSpec` of this configuration for ``target``."""
        return SnapshotSpec(
            horizon_days=self.horizon_days, windows=tuple(self.windows), horizons=tuple(self.horizons),
            survey_privacy=self.survey_privacy, min_group_size=self.min_group_size, target=target,
            quiet_quitting=self.quiet_quitting_definition(), columns=dict(self.columns),
        ).validate()

    def model_name(self) -> str:
        """The registered model that scoring loads by default (``registered_model`` or ``attrition``)."""
        return self.registered_model or "attrition"

    def load_tables(self, data_dir=None, *, columns=None, declare=None) -> Tables:
        """Read and validate the tables of ``data_dir`` (default ``data_dir``) with these settings.

        ``columns`` (e.g. a model's ``spec_.columns``, the renaming its training data used) is
        updated by this configuration's own ``columns``. ``declare`` (a model's
        ``spec_.declared``, the tables it was trained on) is read beside this
        configuration's own ``tables``; the model's declaration of a table wins.
        """
        folder = data_dir if data_dir is not None else self.data_dir
        if folder is None:
            raise ConfigError("No data folder: pass --data DIR (or data_dir in the configuration).")
        # The model's renaming (its spec's columns), updated by this configuration's.
        merged = {t: {**dict((columns or {}).get(t, {})), **dict(self.columns.get(t, {}))}
                  for t in {*(columns or {}), *self.columns}}
        declared = {**dict(self.tables), **dict(declare or {})}
        return load_tables(folder, columns=merged, export_date=self.export_date, declare=declared,
                           observed_from=self.observed_from)

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping, suitable for logging as MLflow params."""
        out = dataclasses.asdict(self)
        out["data_dir"] = str(self.data_dir) if self.data_dir is not None else None
        out["windows"] = list(self.windows)
        out["horizons"] = list(self.horizons)
        out["id_salt"] = "***" if self.id_salt else None  # never log the secret
        return out
