"""Privacy: survey privacy modes, pseudonymous ids, and what reaches MLflow."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import stat
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from attrition import AttritionModel, Config, build_snapshots, score_roster, train
from attrition.data._privacy import pseudonymise, resolve_salt
from attrition.data._tables import Tables
from attrition.exceptions import ConfigError, SchemaError
from attrition.features import default_builders
from attrition.features.survey import SurveyFeatures
from attrition.snapshots._build import feature_columns

T = "2024-03-31"


# ------------------------------------------------------------- survey privacy
def team_centre(big: int = 6, small: int = 4, answers: dict[str, float] | None = None):
    """Team A (``big`` members, distinct answers), team B (``small`` members)."""
    ids = [f"A{i}" for i in range(big)] + [f"B{i}" for i in range(small)]
    emp = pd.DataFrame({
        "employee_id": ids,
        "team_id": ["A"] * big + ["B"] * small,
        "hire_date": pd.to_datetime(["2022-01-01"] * len(ids)).astype("datetime64[ns]"),
    })
    answers = answers or {}
    rows = []
    for k, e in enumerate(ids):
        score = answers.get(e, 1.0 + (k % 6) * 0.9)  # distinct in team A: 1.0, 1.9, ..., 5.5
        rows.append((e, "2024-03-10", "engagement", score, 6.0))
    sv = pd.DataFrame(rows, columns=["employee_id", "survey_date", "item", "score", "scale_max"])
    sv["survey_date"] = pd.to_datetime(sv["survey_date"]).astype("datetime64[ns]")
    frame = pd.DataFrame({"employee_id": ids, "team_id": emp["team_id"],
                          "as_of": pd.to_datetime([T] * len(ids)).astype("datetime64[ns]")})
    return Tables(emp, surveys=sv), frame, sv


def team_features(tables, frame, **kw):
    return SurveyFeatures(items=["engagement"], **kw).build(tables, frame)


def test_team_mode_shows_only_the_team_mean_over_enough_respondents():
    tables, frame, sv = team_centre()
    out = team_features(tables, frame)
    assert list(out.columns) == ["survey_team_engagement_mean", "survey_team_response_rate_365d"]
    a, b = out.iloc[:6], out.iloc[6:]
    individual = (sv["score"] - 1.0) / 5.0
    assert a["survey_team_engagement_mean"].nunique() == 1  # the same for every member
    assert a["survey_team_engagement_mean"].iloc[0] == pytest.approx(individual[:6].mean())
    # no feature equals anyone's own answer
    assert not np.isclose(out.to_numpy()[:, :, None], individual.to_numpy()[None, None, :]).any()
    # team B has 4 respondents < 5: everything survey-based is suppressed
    assert b.isna().all().all()


def test_changing_one_answer_moves_every_member_equally():
    tables, frame, _ = team_centre()
    before = team_features(tables, frame)["survey_team_engagement_mean"]
    tables2, _, _ = team_centre(answers={"A2": 6.0})
    after = team_features(tables2, frame)["survey_team_engagement_mean"]
    delta = (after - before).iloc[:6]
    assert np.allclose(delta, delta.iloc[0]) and delta.iloc[0] != 0
    assert delta.iloc[0] == pytest.approx((6.0 - 2.8) / 5.0 / 6)  # one answer's change / team size
    # team B still shows nothing
    assert after.iloc[6:].isna().all()


def test_suppression_counts_respondents_not_members():
    tables, frame, sv = team_centre()
    sv = sv[~sv["employee_id"].isin(["A0", "A1"])]  # 4 of 6 answered
    out = team_features(Tables(tables.employees, surveys=sv), frame)
    assert out["survey_team_engagement_mean"].iloc[:6].isna().all()
    assert out["survey_team_response_rate_365d"].iloc[:6].tolist() == pytest.approx([4 / 6] * 6)


def test_team_mode_ignores_answers_after_t_and_stale_ones():
    tables, frame, sv = team_centre()
    late = sv.assign(survey_date=pd.Timestamp("2024-04-01"))
    stale = sv.assign(survey_date=pd.Timestamp("2023-01-01"))
    for moved in (late, stale):
        out = team_features(Tables(tables.employees, surveys=moved), frame)
        assert out["survey_team_engagement_mean"].isna().all()


def test_min_group_size_is_honoured():
    tables, frame, _ = team_centre()
    out = team_features(tables, frame, min_group_size=4)
    assert out["survey_team_engagement_mean"].notna().all()  # team B (4) now shown
    out = team_features(tables, frame, min_group_size=7)
    assert out["survey_team_engagement_mean"].isna().all()  # team A (6) now hidden


def test_modes_in_the_snapshots(small_centre):
    t = small_centre.tables
    as_of = ["2024-09-30"]
    team = feature_columns(build_snapshots(t, as_of=as_of, labels=False))
    ident = feature_columns(build_snapshots(t, as_of=as_of, labels=False, survey_privacy="identified"))
    off = feature_columns(build_snapshots(t, as_of=as_of, labels=False, survey_privacy="off"))
    survey = lambda cols: {c for c in cols if c.startswith("survey_")}  # noqa: E731
    assert survey(team) and all(c.startswith("survey_team_") for c in survey(team))
    assert "survey_engagement_latest" in ident and "survey_answered_last_wave" in ident
    assert not survey(off)
    assert set(team) - survey(team) == set(off) == set(ident) - survey(ident)


def test_default_is_team_everywhere():
    assert Config().survey_privacy == "team"
    assert SurveyFeatures().privacy == "team"
    assert default_builders()[-1].privacy == "team"
    with pytest.raises(ConfigError, match="survey_privacy"):
        Config.from_dict({"survey_privacy": "everyone"})
    with pytest.raises(ValueError, match="privacy must be one of"):
        default_builders(survey_privacy="everyone")


def test_scoring_uses_the_mode_the_model_was_trained_with(medium):
    snaps = build_snapshots(medium.tables, survey_privacy="identified")
    model = AttritionModel(lgbm_params={"n_estimators": 40}).fit(snaps)
    as_of = medium.tables.infer_export_date()
    assert model.spec_.survey_privacy == "identified"  # adopted from the snapshots' spec
    scores = score_roster(medium.tables, as_of, model, n_drivers=1)
    assert scores["attrition_risk"].between(0, 1).all()
    model.spec_ = dataclasses.replace(model.spec_, survey_privacy="team")
    with pytest.raises(SchemaError, match="survey_engagement_latest"):
        score_roster(medium.tables, as_of, model, n_drivers=1)


# --------------------------------------------------------------- pseudonyms
SALT = "a-test-salt-of-32-characters-xyz"


def test_pseudonyms_are_keyed_stable_and_distinct():
    ids = [f"E{i:06d}" for i in range(500)]
    p = pseudonymise(ids, SALT)
    assert len(set(p)) == 500 and all(re.fullmatch(r"p-[0-9a-f]{16}", x) for x in p)
    assert list(pseudonymise(ids, SALT)) == list(p)
    assert not set(pseudonymise(ids, SALT + "!")) & set(p)
    assert not any(i in x for i, x in zip(ids, p, strict=True))
    assert list(pseudonymise(ids, SALT.encode())) == list(p)


def test_salt_order_config_then_env_then_file(tmp_path, monkeypatch):
    salt_file = tmp_path / "salt" / "id_salt"
    monkeypatch.setenv("ATTRITION_ID_SALT_FILE", str(salt_file))
    monkeypatch.delenv("ATTRITION_ID_SALT", raising=False)
    generated = resolve_salt()
    assert salt_file.is_file() and len(generated) == 64
    assert stat.S_IMODE(os.stat(salt_file).st_mode) == 0o600  # readable by the owner only
    assert resolve_salt() == generated  # kept, not regenerated
    monkeypatch.setenv("ATTRITION_ID_SALT", "from-the-environment")
    assert resolve_salt() == b"from-the-environment"
    assert resolve_salt(SALT) == SALT.encode()
    with pytest.raises(ConfigError, match="16 characters"):
        Config.from_dict({"id_salt": "short"})
    assert Config(id_salt=SALT).to_dict()["id_salt"] == "***"


# ------------------------------------------------------- what MLflow holds


@pytest.fixture(scope="module")
def privacy_run(medium, tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy-mlflow")
    config = Config(tracking_uri=f"sqlite:///{root / 'mlflow.db'}", experiment="privacy",
                    id_salt=SALT, lgbm_params={"n_estimators": 80})
    result = train(config, register="privacy-test", tables=medium.tables)
    # MLflow 3 keeps the run's artefacts and the logged model apart; the
    # artefact root holds both, exactly as stored.
    return result, config, root, root / "mlartifacts"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _named(files: dict[str, bytes], name: str) -> bytes:
    found = [v for k, v in files.items() if Path(k).name == name]
    assert len(found) == 1, f"{name}: {len(found)} files"
    return found[0]


@pytest.mark.slow
def test_no_raw_id_or_protected_value_reaches_mlflow(privacy_run, medium):
    result, config, root, dest = privacy_run
    files = _files(dest)
    # every file of the tracking store: the SQLite database (params, tags,
    # metrics, registry) and every artefact (run and logged model) as stored
    store = {"mlflow.db": (root / "mlflow.db").read_bytes()}
    for name in ("booster.txt", "model.json", "input_example.json", "config.json", "fairness.json"):
        _named(files, name)
    emp = medium.tables.employees
    ids = emp["employee_id"].astype(str).tolist()
    for name, data in {**files, **store}.items():
        text = data.decode("utf-8", errors="ignore")
        leaked = [i for i in ids if i in text]
        assert not leaked, f"{name} holds raw employee ids, e.g. {leaked[:3]}"
        assert SALT not in text, f"{name} holds the id salt"
    genders = sorted(emp["gender"].dropna().unique())
    word = re.compile(r"\b(" + "|".join(map(re.escape, genders)) + r")\b")
    assert word.search(_named(files, "fairness.csv").decode())  # the scan does find them
    for name, data in {**files, **store}.items():
        if Path(name).name in {"fairness.json", "fairness.csv"}:
            continue  # group-level aggregates, by design (tested in test_fairness_is_logged...)
        assert not word.search(data.decode("utf-8", errors="ignore")), f"{name} names a gender"
    # the model's inputs hold no protected attribute, in any form
    example = pd.DataFrame(**json.loads(_named(files, "input_example.json")))
    for cols in (list(example.columns), result.model.feature_names_in_):
        assert not {"birth_year", "gender", "employee_id", "age", "age_band"} & set(cols)
    booster = _named(files, "booster.txt").decode()
    names = re.search(r"^feature_names=(.*)$", booster, re.M).group(1).split()
    assert not {"birth_year", "gender"} & set(names)
    # no birth year of a person: the only numbers in the JSON artefacts are aggregates
    years = {str(int(y)) for y in emp["birth_year"].dropna().unique()}
    for name in ("config.json", "features.json", "training_summary.json", "model_card.md"):
        assert not [y for y in years if re.search(rf"\b{y}\b", _named(files, name).decode())], name


@pytest.mark.slow
def test_model_is_stored_without_pickles(privacy_run):
    _, _, _, dest = privacy_run
    files = _files(dest)
    assert not [n for n in files if n.endswith((".pkl", ".pickle", ".joblib", ".cloudpickle"))]
    model_dir = next((dest / n).parent for n in files if n.endswith("booster.txt"))
    assert sorted(p.name for p in model_dir.iterdir()) == ["booster.txt", "model.json"]
    assert (model_dir / "booster.txt").read_text().startswith("tree\n")


@pytest.mark.slow
def test_fairness_is_logged_with_the_run(privacy_run):
    result, config, _, dest = privacy_run
    run = mlflow.MlflowClient(tracking_uri=config.tracking_uri).get_run(result.run.run_id)
    audit = result.run.fairness
    assert run.data.tags["fairness_flags"] == str(len(audit.flags))
    assert run.data.metrics["fairness_flags"] == len(audit.flags)
    logged = pd.read_csv(io.BytesIO(_named(_files(dest), "fairness.csv")))
    assert set(logged["attribute"]) == {"gender", "age_band"}
    assert logged.loc[logged["suppressed"], ["n_employees", "roc_auc"]].isna().all().all()
    assert result.model.spec_.survey_privacy == "team"
    assert run.data.params["survey_privacy"] == "team" and run.data.params["min_group_size"] == "5"
    assert all(f.startswith("survey_team_") for f in result.model.feature_names_in_
               if f.startswith("survey_"))


@pytest.mark.slow
def test_cli_scores_record_the_run_fingerprint_and_refuse_a_missing_table(privacy_run, medium):
    from click.testing import CliRunner

    from attrition.cli import cli

    result, config, root, _ = privacy_run
    data = root / "data"
    data.mkdir(exist_ok=True)
    for name, frame in [*medium.tables, *medium.tables.declared.items()]:  # own tables too
        frame.to_parquet(data / f"{name}.parquet", index=False)
    cfg = root / "score.toml"
    cfg.write_text(f'tracking_uri = "{config.tracking_uri}"\nexperiment = "privacy"\n')
    as_of = f"{medium.tables.infer_export_date():%Y-%m-%d}"
    out = root / "scores.csv"
    args = ["score", "--data", str(data), "--as-of", as_of, "--model", "models:/privacy-test@champion",
            "--config", str(cfg), "--drivers", "1"]
    ok = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    scores = pd.read_csv(out, dtype={"model_version": str})
    tag = mlflow.MlflowClient(tracking_uri=config.tracking_uri).get_run(
        result.run.run_id).data.tags["data_fingerprint"]
    assert (scores["input_fingerprint"] == tag).all() and (scores["model_version"] == "1").all()
    assert scores["employee_id"].str.fullmatch(r"E\d{6}").all()  # HR's file keeps the real ids

    (data / "surveys.parquet").unlink()
    out2 = root / "scores2.csv"
    bad = CliRunner().invoke(cli, [*args, "--out", str(out2)])
    assert bad.exit_code == 1
    assert "tables missing now (present at training): surveys" in bad.output
    assert not out2.exists() and not list(root.glob(".scores2.csv*"))


def test_short_or_empty_salt_from_env_or_file_is_refused(monkeypatch, tmp_path):
    from attrition.data._privacy import resolve_salt
    from attrition.exceptions import ConfigError

    monkeypatch.setenv("ATTRITION_ID_SALT", "x")
    with pytest.raises(ConfigError, match="at least 16"):
        resolve_salt()
    monkeypatch.delenv("ATTRITION_ID_SALT")
    empty = tmp_path / "id_salt"
    empty.write_text("")
    monkeypatch.setenv("ATTRITION_ID_SALT_FILE", str(empty))
    with pytest.raises(ConfigError, match="0 characters"):
        resolve_salt()
