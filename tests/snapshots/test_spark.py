"""Spark in local mode gives the pandas path's features and scores.

Skipped when PySpark or Java is missing — except under ``CI=true``, where it
fails: CI must run it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from attrition import Config, SchemaError, build_snapshots, load_model, score_roster, simulate, train
from engine_cases import EDGE_AS_OF, assert_same_snapshots, edge_case_tables

# One Spark session per worker, shared by every test here; a real MLflow store.
pytestmark = pytest.mark.slow


def _missing_requirement() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed: pip install 'attrition[spark]'"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (Spark needs Java 17+): apt-get install openjdk-17-jre-headless"
    return None


@pytest.fixture(scope="module")
def spark():
    reason = _missing_requirement()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"The Spark tests must run under CI=true: {reason}.")
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    # The Python workers run this interpreter, so they import this attrition.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("attrition-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.default.parallelism", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def centre():
    return simulate(n_employees=150, months=15, seed=4)


@pytest.fixture(scope="module")
def centre_in_spark(spark, centre, tmp_path_factory):
    """Every table as a Spark DataFrame read from Parquet, as a lakehouse would hold it.

    Dates are written as microsecond timestamps (Spark cannot read
    nanosecond ones) and read back as timestamps: the SQL casts them to dates.
    """
    folder = tmp_path_factory.mktemp("lake")
    out = {}
    for name, frame in centre.tables:
        frame = frame.copy()
        for col, dtype in frame.dtypes.items():
            if dtype.kind == "M":
                frame[col] = frame[col].astype("datetime64[us]")
        frame.to_parquet(folder / f"{name}.parquet", index=False)
        out[name] = spark.read.parquet(str(folder / f"{name}.parquet"))
    return out


def test_spark_snapshots_equal_pandas(spark, centre, centre_in_spark):
    from attrition.snapshots import build_snapshots_spark

    # A mapping of tables carries the contract's tables only, not your own declared ones.
    ref = build_snapshots(centre.tables.copy(declared={}, declarations={}), horizon_days=90)
    got = build_snapshots_spark(spark, centre_in_spark, horizon_days=90)
    assert_same_snapshots(ref, got)


def test_spark_snapshots_with_declared_tables_equal_pandas(spark, centre):
    from attrition.snapshots import build_snapshots_spark

    assert centre.tables.declared  # the simulated centre's performance and coaching tables
    ref = build_snapshots(centre.tables, horizon_days=90)
    got = build_snapshots_spark(spark, centre.tables, horizon_days=90)
    assert_same_snapshots(ref, got)


def test_spark_edge_cases_equal_pandas(spark):
    from attrition.snapshots import build_snapshots_spark

    edge = edge_case_tables()
    spark.createDataFrame(edge.schedule).createOrReplaceTempView("edge_schedule")
    tables = {"employees": edge.employees, "schedule": "edge_schedule",
              "workload": spark.createDataFrame(edge.workload)}
    got = build_snapshots_spark(spark, tables, EDGE_AS_OF, export_date="2024-06-30", labels=False)
    assert_same_snapshots(build_snapshots(edge, EDGE_AS_OF, labels=False), got)


def test_spark_refuses_a_missing_column_and_late_rows(spark):
    from attrition.snapshots import build_snapshots_spark

    edge = edge_case_tables()
    no_col = {"employees": edge.employees,
              "schedule": spark.createDataFrame(edge.schedule.drop(columns=["scheduled_minutes"]))}
    with pytest.raises(SchemaError, match="scheduled_minutes.*missing") as info:
        build_snapshots_spark(spark, no_col, EDGE_AS_OF, export_date="2024-06-30")
    assert "<schedule Spark DataFrame>" in str(info.value)
    with pytest.raises(SchemaError, match="worked shifts cannot be dated after the export date") as info:
        build_snapshots_spark(spark, {"employees": edge.employees, "schedule":
                                      spark.createDataFrame(edge.schedule)},
                              ["2024-03-31"], export_date="2024-03-31")
    assert info.value.n_rows > 0 and len(info.value.examples) == 5


@pytest.fixture(scope="module")
def registered(centre, tmp_path_factory):
    store = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    config = Config(tracking_uri=store, experiment="spark-test")
    # Scored below from a mapping of Spark tables, which carries no declared tables.
    train(config, register="spark-attr", tables=centre.tables.copy(declared={}, declarations={}))
    return config


def test_spark_udf_scores_equal_score_roster(spark, centre, centre_in_spark, registered):
    from attrition.snapshots import build_snapshots_spark
    from attrition.tracking import score_spark

    as_of = "2025-02-28"
    model, info = load_model("models:/spark-attr@champion", registered.tracking_uri)
    snaps = build_snapshots_spark(spark, centre_in_spark, [as_of], labels=False,
                                  windows=model.spec_.windows,
                                  survey_privacy=model.spec_.survey_privacy)
    scores = score_spark(spark, snaps, "models:/spark-attr@champion",
                         tracking_uri=registered.tracking_uri).toPandas()
    ref = score_roster(centre.tables, as_of, model, n_drivers=0)
    assert len(scores) == len(ref) > 50
    got = scores.set_index("employee_id")["attrition_risk"].loc[ref["employee_id"]].to_numpy()
    assert (scores["as_of"] == as_of).all()
    # score_roster rounds to 6 decimals; the model itself agrees to the last bit
    np.testing.assert_allclose(np.round(got, 6), ref["attrition_risk"].to_numpy(), rtol=0, atol=1e-9)
    direct = model.predict_risk(model.snapshots(centre.tables, [as_of]))
    np.testing.assert_allclose(np.sort(scores["attrition_risk"].to_numpy()), np.sort(direct),
                               rtol=1e-9, atol=1e-12)


def test_score_spark_names_missing_features(spark, registered):
    from attrition.tracking import score_spark

    frame = spark.createDataFrame(pd.DataFrame({"employee_id": ["a"], "as_of": ["2025-02-28"],
                                                "tenure_days": [10.0]}))
    with pytest.raises(SchemaError, match="lacks .* column"):
        score_spark(spark, frame, "models:/spark-attr@champion", tracking_uri=registered.tracking_uri)


def test_score_spark_refuses_text_in_a_numeric_feature(spark, centre, registered):
    """Text where the model expects a number is named (column, count, examples), not cast to NULL."""
    from attrition.snapshots import snapshot_features_frame
    from attrition.tracking import score_spark

    model, _ = load_model("models:/spark-attr@champion", registered.tracking_uri)
    snaps = model.snapshots(centre.tables, ["2025-02-28"])
    frame = snapshot_features_frame(spark, snaps, model.feature_names_in_)
    from pyspark.sql import functions as F

    frame = frame.withColumn("tenure_days", F.when(F.col("employee_id") == snaps["employee_id"].iloc[0],
                                                    F.lit("forty")).otherwise(
                                                        F.col("tenure_days").cast("string")))
    with pytest.raises(SchemaError, match="tenure_days': 1 row") as info:
        score_spark(spark, frame, "models:/spark-attr@champion", tracking_uri=registered.tracking_uri)
    assert info.value.n_rows == 1
    assert info.value.examples["tenure_days"].tolist() == ["forty"]
