"""Batch scoring on Spark with the registered MLflow model (``mlflow.pyfunc.spark_udf``).

PySpark is optional (``pip install 'attrition[spark]'``) and imported only
when called.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from attrition._lazy import lazy_module
from attrition.exceptions import SchemaError
from attrition.snapshots._spark import _import_pyspark, snapshot_features_frame

mlflow = lazy_module("mlflow")

__all__ = ["score_spark"]

_SPARK_TYPES = {"string": "string", "double": "double", "float": "float", "long": "bigint",
                "integer": "int", "boolean": "boolean", "datetime": "timestamp"}


def score_spark(
    spark: Any,
    features: Any,
    model_uri: str,
    *,
    id_columns: Sequence[str] = ("employee_id", "as_of"),
    tracking_uri: str | None = None,
    result_column: str = "attrition_risk",
):
    """Score snapshot features on Spark with the MLflow model (``mlflow.pyfunc.spark_udf``).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    features : pyspark.sql.DataFrame or pandas.DataFrame
        Snapshot rows with ``id_columns`` and the model's features (a pandas
        snapshot frame is converted with :func:`snapshot_features_frame`).
        Columns are cast to the types of the model's signature (categorical
        features as strings, numbers as doubles).
    model_uri : str
        ``models:/NAME@champion``, ``models:/NAME/3`` or ``runs:/<id>/model``.
    id_columns : sequence of str, default ("employee_id", "as_of")
        Passed through to the output.
    tracking_uri : str, optional
        The MLflow store that holds the model (default: MLflow's current one).
    result_column : str, default "attrition_risk"

    Returns
    -------
    pyspark.sql.DataFrame
        ``id_columns`` and ``result_column`` (double, unrounded;
        :func:`attrition.score_roster` rounds to 6 decimals).

    Raises
    ------
    SchemaError
        If ``features`` lacks a feature of the model or an id column.

    Examples
    --------
    >>> scores = score_spark(spark, snapshot_features_frame(spark, snaps),  # doctest: +SKIP
    ...                      "models:/attrition@champion", tracking_uri="sqlite:///mlflow.db")
    """
    DataFrame, _ = _import_pyspark()
    from pyspark.sql import functions as F

    if tracking_uri is not None:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
    info = mlflow.models.get_model_info(model_uri)
    schema = info.signature.inputs if info.signature is not None else None
    if schema is None or not schema.has_input_names():
        raise SchemaError(f"The model at {model_uri!r} has no input signature with column names; "
                          "log it with attrition.train (which records the signature).")
    names = schema.input_names()
    if isinstance(features, pd.DataFrame):
        features = snapshot_features_frame(spark, features, names)
    if not isinstance(features, DataFrame):
        raise TypeError(f"features must be a Spark or pandas DataFrame, got {type(features).__name__}.")
    missing = [c for c in [*id_columns, *names] if c not in features.columns]
    if missing:
        raise SchemaError(
            f"The features frame lacks {len(missing)} column(s) the model needs: "
            f"{', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}. Build it with "
            "build_snapshots_spark (or build_snapshots) using the windows and survey privacy the "
            "model was trained with.", column=missing[0], n_rows=None)
    cols, bad = [], {}
    for spec in schema.inputs:
        kind = _SPARK_TYPES.get(str(getattr(spec.type, "name", spec.type)).lower(), "double")
        cols.append(F.col(spec.name).cast(kind).alias(spec.name))
        if kind != "string":  # a value the cast would turn into NULL (or fail on, in ANSI mode)
            bad[spec.name] = F.col(spec.name).isNotNull() & F.expr(
                f"try_cast(`{spec.name}` AS {kind})").isNull()
    if bad:
        counts = features.select(*[F.sum(cond.cast("int")).alias(name) for name, cond in bad.items()])
        counts = {k: int(v or 0) for k, v in counts.first().asDict().items()}
        wrong = {k: v for k, v in counts.items() if v}
        if wrong:
            column, n = next(iter(wrong.items()))
            examples = features.where(bad[column]).select(*id_columns, column).limit(5).toPandas()
            raise SchemaError(
                "The features frame has values the model cannot read as numbers: "
                + ", ".join(f"column '{k}': {v} row(s)" for k, v in wrong.items())
                + f".\nExamples of '{column}':\n{examples.to_string(index=False)}\n"
                "Store the features as numbers (empty when unknown); build them with "
                "build_snapshots_spark.", column=column, n_rows=n, examples=examples)
    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type="double", env_manager="local")
    return features.select(*[F.col(c) for c in id_columns],
                           udf(F.struct(*cols)).alias(result_column))
