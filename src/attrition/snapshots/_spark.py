"""Spark: snapshots from Spark tables, and batch scoring with ``mlflow.pyfunc.spark_udf``.

For organisations whose exports live in a Spark cluster or lakehouse. Nothing
large is collected to the driver:

* :func:`build_snapshots_spark` runs the schedule and workload sums as Spark
  SQL (the query of :func:`attrition.snapshots.snapshot_sums_sql`) and brings
  back only the per-``(employee, as_of)`` sums; the small HR tables
  (employees, absences, surveys) are collected and validated as
  :func:`attrition.validate_tables` does, and the rest is
  :func:`attrition.build_snapshots` — the same features as the pandas path.
* :func:`score_spark` applies the registered MLflow model to a Spark
  DataFrame of snapshot features with ``mlflow.pyfunc.spark_udf``, so scoring
  many centres or months runs on the executors.

PySpark is optional: ``pip install 'attrition[spark]'``. Spark 4 needs Java 17
or newer. The Python workers must be able to import :mod:`attrition` (the
pyfunc model's code imports it), e.g. the package installed on the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from attrition.data._loading import _fail, _parse_export_date, validate_tables
from attrition.data._tables import Tables
from attrition.features import FeatureBuilder
from attrition.features.tenure import CATEGORICAL_FEATURES
from attrition.snapshots._build import feature_columns
from attrition.snapshots._warehouse import Engine, build_with_engine

__all__ = ["build_snapshots_spark", "snapshot_features_frame", "SparkEngine"]

#: The tables collected to the driver (small: one row per employee, spell or answer).
SMALL_TABLES = ("employees", "absences", "surveys", "employee_history")
#: The tables that stay in Spark (one row per employee per day).
DAILY_TABLES = ("schedule", "workload")


def _import_pyspark():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import DataFrame, SparkSession
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "attrition.spark needs PySpark: pip install 'attrition[spark]' (or pip install "
            "pyspark); Spark 4 also needs Java 17 or newer."
        ) from None
    return DataFrame, SparkSession


class SparkEngine(Engine):
    """Spark SQL: Spark DataFrames, table names or (small) pandas frames as temp views.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    """

    dialect = "spark"

    def __init__(self, spark: Any) -> None:
        self.spark = spark

    def frame(self, source: Any):
        """``source`` as a Spark DataFrame (a table name is read with ``spark.table``)."""
        DataFrame, _ = _import_pyspark()
        if isinstance(source, DataFrame):
            return source
        if isinstance(source, str):
            return self.spark.table(source)
        if isinstance(source, pd.DataFrame):
            return self._from_pandas(source)
        raise TypeError(f"Expected a Spark DataFrame, a table name or a pandas DataFrame, got "
                        f"{type(source).__name__}.")

    def _from_pandas(self, frame: pd.DataFrame):
        # An explicit schema: Spark's inference from pandas 3 string columns is not reliable.
        types = []
        for col, dtype in frame.dtypes.items():
            kind = "bigint" if dtype.kind in "iu" else "double" if dtype.kind == "f" else "string"
            types.append(f"`{col}` {kind}")
        rows = [tuple(None if pd.isna(v) else (int(v) if t.endswith("bigint") else
                                                float(v) if t.endswith("double") else str(v))
                      for v, t in zip(row, types, strict=True))
                for row in frame.itertuples(index=False, name=None)]
        return self.spark.createDataFrame(rows, schema=", ".join(types))

    def register(self, name: str, source: Any) -> None:
        self.frame(source).createOrReplaceTempView(name)

    def query(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def columns(self, name: str) -> list[str]:
        return list(self.spark.table(name).columns)

    def describe(self, source: Any, table: str) -> str:
        if isinstance(source, str):
            return f"Spark table {source}"
        return f"<{table} Spark DataFrame>"


def _collect(engine: SparkEngine, source: Any) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source
    return engine.frame(source).toPandas()


def build_snapshots_spark(
    spark: Any,
    tables: Mapping[str, Any] | Tables,
    as_of=None,
    horizon_days: int = 90,
    *,
    export_date=None,
    windows: Sequence[int] = (28, 91, 182),
    builders: Sequence[FeatureBuilder] | None = None,
    labels: bool = True,
    survey_privacy: str = "team",
    min_group_size: int = 5,
) -> pd.DataFrame:
    """:func:`attrition.build_snapshots`, with the schedule and workload sums run by Spark SQL.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    tables : mapping or Tables
        ``employees`` (required), ``schedule``, ``workload``, ``absences``,
        ``surveys``, ``employee_history``: each a Spark DataFrame, a table name (``"hr.employees"``)
        or a pandas DataFrame, with the data contract's column names (select
        or rename in a view when yours differ). A :class:`Tables` may also carry
        declared tables (``declared``/``declarations``). Employees, absences,
        surveys, the job history and declared tables are collected to the driver and validated; schedule and
        workload stay in Spark and are checked there.
    as_of, horizon_days, windows, builders, labels, survey_privacy, min_group_size
        As for :func:`attrition.build_snapshots`.
    export_date : date, optional
        The day the exports were taken (``YYYY-MM-DD``); default the newest
        worked day, as :meth:`Tables.infer_export_date` infers it.

    Returns
    -------
    pandas.DataFrame
        One row per employee and as-of date, as :func:`attrition.build_snapshots`
        returns it (turn it into a Spark DataFrame with
        :func:`snapshot_features_frame` to score it with :func:`score_spark`).

    Raises
    ------
    SchemaError
        When a table breaks the data contract: the message names the table,
        the column, how many rows and up to five examples.

    Examples
    --------
    >>> snaps = build_snapshots_spark(  # doctest: +SKIP
    ...     spark, {"employees": "hr.employees", "absences": "hr.absences",
    ...             "schedule": "wfm.schedule", "workload": "acd.daily_agent"},
    ...     as_of="2024-10-31", labels=False)
    """

    engine = SparkEngine(spark)
    if isinstance(tables, Tables):
        given = dict(tables)
        export_date = tables.export_date if export_date is None else export_date
    else:
        given = {k: v for k, v in dict(tables).items() if v is not None}
    unknown = set(given) - set(SMALL_TABLES) - set(DAILY_TABLES)
    if unknown:
        raise _fail(None, f"unknown table name(s) {sorted(unknown)}",
                    f"Use the data contract's names: {', '.join(SMALL_TABLES + DAILY_TABLES)}.")
    if "employees" not in given:
        raise _fail("<employees table>", "the required employees table is missing",
                    "Pass tables={'employees': ..., ...}.", table="employees")
    sources = {name: engine.describe(src, name) if not isinstance(src, pd.DataFrame)
               else f"<{name} table>" for name, src in given.items()}
    small = Tables(**{n: _collect(engine, given[n]) for n in SMALL_TABLES if n in given},
                   sources={n: sources[n] for n in SMALL_TABLES if n in given},
                   export_date=_parse_export_date(export_date))
    if isinstance(tables, Tables):  # your own declared tables are small: collected like absences
        small = small.copy(declared=dict(tables.declared), declarations=dict(tables.declarations),
                           observed_from=tables.observed_from)
    small = validate_tables(small)
    small.sources.update({n: sources[n] for n in DAILY_TABLES if n in given})
    daily = {n: given[n] for n in DAILY_TABLES if n in given}
    return build_with_engine(engine, small, daily, as_of, horizon_days, windows=windows,
                             builders=builders, labels=labels, survey_privacy=survey_privacy,
                             min_group_size=min_group_size)


def snapshot_features_frame(spark: Any, snapshots: pd.DataFrame, features: Sequence[str] | None = None):
    """A Spark DataFrame of snapshot rows for :func:`score_spark`.

    ``employee_id`` and ``as_of`` (ISO text) plus the features: categorical
    ones as strings, the others as doubles (``NaN`` becomes ``NULL``).
    """

    features = list(features) if features is not None else feature_columns(snapshots)
    data = {"employee_id": snapshots["employee_id"].astype(str).to_numpy(),
            "as_of": pd.to_datetime(snapshots["as_of"]).dt.strftime("%Y-%m-%d").to_numpy()}
    for col in features:
        values = snapshots[col]
        if col in CATEGORICAL_FEATURES or values.dtype.kind not in "fiub":
            data[col] = values.astype(object).where(values.notna(), None).to_numpy()
        else:
            data[col] = values.astype("float64").to_numpy()
    return SparkEngine(spark)._from_pandas(pd.DataFrame(data))


