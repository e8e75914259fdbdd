"""Outputs: atomic writes, byte-identical reruns, model version and input fingerprint."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition import Config, score_roster
from attrition.data import data_fingerprint, write_table
from attrition.exceptions import ConfigError
from attrition.jobs import forecast as forecast_job
from attrition.jobs import score as score_job

FRAME = pd.DataFrame({"employee_id": ["a", "b"], "attrition_risk": [0.1, 0.2]})


@pytest.fixture(scope="module")
def as_of(medium):
    return medium.tables.infer_export_date()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_leaves_no_file_and_no_litter(tmp_path, monkeypatch, suffix, error):
    out = tmp_path / f"scores{suffix}"
    method = "to_csv" if suffix == ".csv" else "to_parquet"
    real = getattr(pd.DataFrame, method)

    def half_then_fail(self, path, *args, **kwargs):
        real(self.head(1), path, *args, **kwargs)  # something is on disk when it breaks
        raise error

    monkeypatch.setattr(pd.DataFrame, method, half_then_fail)
    with pytest.raises(type(error)):
        write_table(FRAME, out)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    out = write_table(FRAME, tmp_path / "scores.csv")
    before = out.read_bytes()

    def fail(self, path, *args, **kwargs):
        pd.DataFrame({"x": [1]}).to_parquet(path)  # garbage in the temporary file
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    with pytest.raises(OSError):
        write_table(FRAME.assign(attrition_risk=0.9), out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_wrong_suffix_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ConfigError, match=r"must end in \.csv or \.parquet"):
        write_table(FRAME, tmp_path / "scores.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_same_inputs_and_model_give_byte_identical_files(tmp_path, medium, medium_model, as_of):
    info = {"model_name": "attrition", "model_version": "7"}
    a = score_job(Config(), as_of, model=medium_model, tables=medium.tables, out=tmp_path / "a.csv")
    # the same rows in another order are the same inputs
    shuffled = medium.tables.copy(**{
        name: frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
        for name, frame in medium.tables if name != "employees"})
    score_job(Config(), as_of, model=medium_model, tables=shuffled, out=tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    for name in ("c.parquet", "d.parquet"):
        write_table(score_roster(medium.tables, as_of, medium_model, model_info=info), tmp_path / name)
    assert (tmp_path / "c.parquet").read_bytes() == (tmp_path / "d.parquet").read_bytes()
    assert len(a) > 0


def test_scores_record_model_version_and_input_fingerprint(medium, medium_model, as_of):
    info = {"model_name": "attrition", "model_version": "7"}
    scores = score_roster(medium.tables, as_of, medium_model, model_info=info, n_drivers=1)
    assert (scores["model_version"] == "7").all() and (scores["model_name"] == "attrition").all()
    fp = data_fingerprint(medium.tables)
    assert len(fp) == 64 and (scores["input_fingerprint"] == fp).all()
    # one changed value anywhere in the inputs changes the fingerprint
    wl = medium.tables.workload.copy()
    wl.loc[wl.index[0], "contacts_handled"] = wl.loc[wl.index[0], "contacts_handled"] + 1
    changed = score_roster(medium.tables.copy(workload=wl), as_of, medium_model, n_drivers=1)
    assert changed["input_fingerprint"].iloc[0] != fp
    # additive: the leading columns and the old trailing ones are unchanged
    cols = list(scores.columns)
    assert cols[:4] == ["employee_id", "as_of", "attrition_risk", "risk_band"]
    assert cols.index("input_fingerprint") == cols.index("model_version") + 1
    assert np.isfinite(scores["attrition_risk"]).all()


def test_score_report_has_the_leaver_forecast_and_both_files_or_neither(tmp_path, medium, medium_model, as_of):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the report's folder should be")
    with pytest.raises(OSError):
        score_job(Config(), as_of, model=medium_model, tables=medium.tables, out=tmp_path / "s.csv",
                  report=blocked / "report.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked"]  # no scores without their report
    scores = score_job(Config(), as_of, model=medium_model, tables=medium.tables, out=tmp_path / "s.csv",
                       report=tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Leavers expected in the next 12 months" in html
    assert "This forecast assumes today" in html
    assert (tmp_path / "s.csv").is_file()
    # The prevalence trend (a bootstrap per month) is computed for the report only; the scores are the same.
    assert len(scores.attrs["quiet_quitting_prevalence_by_month"]) > 1
    bare = score_job(Config(), as_of, model=medium_model, tables=medium.tables, out=tmp_path / "bare.csv")
    assert bare.attrs["quiet_quitting_prevalence_by_month"] == []
    # A Parquet scores file keeps the trend for a report built from it later.
    score_job(Config(), as_of, model=medium_model, tables=medium.tables, out=tmp_path / "later.parquet")
    kept = pd.read_parquet(tmp_path / "later.parquet")
    assert kept.attrs["quiet_quitting_prevalence_by_month"] == scores.attrs["quiet_quitting_prevalence_by_month"]
    assert (tmp_path / "bare.csv").read_bytes() == (tmp_path / "s.csv").read_bytes()


def test_forecast_writes_its_table_and_page_together_or_neither(tmp_path, medium, medium_model, as_of):
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    with pytest.raises(OSError):
        forecast_job(Config(), as_of, months=3, model=medium_model, tables=medium.tables,
                     out=tmp_path / "f.csv", report=blocked / "f.html")
    assert not (tmp_path / "f.csv").exists()
    forecast_job(Config(), as_of, months=3, model=medium_model, tables=medium.tables,
                 out=tmp_path / "f.csv", report=tmp_path / "f.html")
    assert (tmp_path / "f.csv").is_file() and (tmp_path / "f.html").is_file()


def test_release_free_memory_runs_where_glibc_has_malloc_trim_and_is_a_no_op_elsewhere(monkeypatch):
    import ctypes.util
    import platform

    from attrition.jobs import _workflows

    ran = _workflows.release_free_memory()
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert ran is True
    # the real lookup, before any patching: a C library wherever find_library names one
    assert ctypes.util.find_library("c") is None or _workflows._libc() is not None
    calls = []

    class NoTrim:  # a C library without malloc_trim (macOS, musl)
        pass

    class Trim:
        def malloc_trim(self, pad):
            calls.append(pad)

    monkeypatch.setattr(_workflows, "_libc", lambda: NoTrim())
    assert _workflows.release_free_memory() is False
    monkeypatch.setattr(_workflows, "_libc", lambda: None)
    assert _workflows.release_free_memory() is False
    monkeypatch.setattr(_workflows, "_libc", lambda: Trim())
    assert _workflows.release_free_memory() is True and calls == [0]


def test_training_lets_the_event_tables_go_before_the_fits(tmp_path, monkeypatch, small_centre):
    """``attrition train`` holds the loaded event tables and job history only while it builds the
    snapshots: by the first fit nothing refers to them any more (their memory is free for the fits;
    the job keeps an outline of them, ``Tables.outline``, tested in tests/data)."""
    import gc
    import weakref

    from attrition.jobs import _workflows

    small_centre.write(tmp_path / "data")
    loaded: dict[str, weakref.ref] = {}
    real_load = Config.load_tables

    def load_and_watch(self, *args, **kwargs):
        tables = real_load(self, *args, **kwargs)
        for name in ("schedule", "workload", "absences", "surveys", "employee_history"):
            if getattr(tables, name) is not None:
                loaded[name] = weakref.ref(getattr(tables, name))
        return tables

    class Stop(Exception):
        pass

    alive: dict[str, bool] = {}

    def check_then_stop(config, snapshots, target):
        gc.collect()
        alive.update({name: ref() is not None for name, ref in loaded.items()})
        raise Stop

    monkeypatch.setattr(Config, "load_tables", load_and_watch)
    monkeypatch.setattr(_workflows, "_fit", check_then_stop)
    config = Config(data_dir=str(tmp_path / "data"), tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    with pytest.raises(Stop):
        _workflows.train(config)
    assert set(alive) == {"schedule", "workload", "absences", "surveys", "employee_history"}
    assert not any(alive.values()), alive
    assert not (tmp_path / "mlflow.db").exists()  # nothing logged before the fits
