"""What people see in MLflow after `attrition train --target all` (a real, temporary SQLite store)."""

from pathlib import Path

import mlflow
import pytest
from click.testing import CliRunner

import attrition
from attrition import Config, train
from attrition.cli import cli
from attrition.data import data_fingerprint

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def centre():
    return attrition.simulate(n_employees=150, months=16, seed=5)


@pytest.fixture(scope="module")
def trained(centre, tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    config = Config(tracking_uri=f"sqlite:///{root / 'mlflow.db'}", experiment="what-people-see")
    result = train(config, register="x", tables=centre.tables, target="all")
    return result, config, root, mlflow.MlflowClient(tracking_uri=config.tracking_uri)


def test_runs_have_descriptions_and_are_linked(trained):
    result, _, _, client = trained
    attr = client.get_run(result.run.run_id)
    qq = client.get_run(result.quiet_quitting.run.run_id)
    for run, what in ((attr, "attrition model"), (qq, "quiet-quitting model")):
        note = run.data.tags["mlflow.note.content"]
        assert what in note and "Validation ROC AUC" in note and "baseline" in note
        assert result.model.training_summary_["train_first_as_of"] in note
    parent_id = attr.data.tags["mlflow.parentRunId"]
    assert qq.data.tags["mlflow.parentRunId"] == parent_id
    parent = client.get_run(parent_id)
    assert "quiet-quitting" in parent.data.tags["mlflow.note.content"]
    assert parent.data.tags["target"] == "all"


def test_dataset_input_names_the_fingerprint_without_ids(trained, centre):
    result, _, _, client = trained
    fingerprint = data_fingerprint(centre.tables)
    for res in (result, result.quiet_quitting):
        inputs = client.get_run(res.run.run_id).inputs.dataset_inputs
        assert len(inputs) == 1
        ds = inputs[0]
        assert ds.dataset.digest == fingerprint[:32]
        assert {t.key: t.value for t in ds.tags}["data_fingerprint"] == fingerprint
        assert {t.key: t.value for t in ds.tags}["mlflow.data.context"] == "training"
        schema = ds.dataset.schema
        assert "employee_id" not in schema and "gender" not in schema and "birth_year" not in schema


def test_model_versions_have_description_and_tags(trained, centre):
    result, _, _, client = trained
    for name, res in (("x", result), ("x-quiet-quitting", result.quiet_quitting)):
        mv = client.get_model_version(name, res.run.registered_version)
        assert "Validation ROC AUC" in mv.description
        assert mv.tags["input_fingerprint"] == data_fingerprint(centre.tables)
        assert mv.tags["target"] == res.model.target
        assert mv.tags["horizon_days"] == "90"
        assert mv.tags["data_window"].startswith(res.model.training_summary_["train_first_as_of"])
        assert float(mv.tags["valid_roc_auc"]) == pytest.approx(res.model.metrics_["valid_roc_auc"], abs=1e-3)
        assert "windows" in mv.tags["spec"]
        assert mv.run_id == res.run.run_id


def test_signature_accepts_integer_input(trained):
    result, _, _, _ = trained
    model = result.model
    pyfunc = mlflow.pyfunc.load_model("models:/x@champion")
    X = result.snapshots.loc[result.snapshots["label"].notna(), model.feature_names_in_].head(20).copy()
    for col in model.categories_:
        X[col] = X[col].astype(object)
    assert "tenure_days" in X.columns
    X["tenure_days"] = X["tenure_days"].round().astype("int64")
    out = pyfunc.predict(X)
    assert len(out) == 20 and out["attrition_risk"].between(0, 1).all()
    X["tenure_days"] = X["tenure_days"].astype("float64")
    assert len(pyfunc.predict(X)) == 20


def test_artefacts_stay_under_the_store_folder(trained):
    _, _, root, client = trained
    store = (root / "mlartifacts").resolve().as_uri()
    assert client.get_experiment_by_name("what-people-see").artifact_location == store
    # MLflow's own Default experiment, created with the store: <store folder>/mlartifacts/0
    assert client.get_experiment_by_name("Default").artifact_location.startswith(store + "/")


def test_cli_quiet_train_prints_no_mlflow_lines(centre, tmp_path, monkeypatch):
    data = tmp_path / "data"
    centre.write(data)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["-q", "train", "--data", str(data), "--target", "all",
                                   "--register", "q", "--tracking-uri",
                                   f"sqlite:///{tmp_path / 'mlflow.db'}"])
    assert res.exit_code == 0, res.output
    text = res.output + (res.stderr if res.stderr_bytes is not None else "")
    for line in ("Creating initial MLflow database tables", "Successfully registered model",
                 "Created version", "Context impl", "will assume", "Running upgrade",
                 "site-packages/mlflow", "INFO mlflow"):
        assert line.lower() not in text.lower()
    assert not (tmp_path / "mlruns").exists() and not Path("mlruns").exists()
