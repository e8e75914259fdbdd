"""Population, labels and the as-of rule of build_snapshots."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from attrition import LeakageError, Tables, build_snapshots, feature_columns
from attrition.snapshots._build import make_labels, month_ends, population

T = pd.Timestamp("2024-03-31")


def _employees(rows):
    frame = pd.DataFrame(rows, columns=["employee_id", "hire_date", "termination_date",
                                        "termination_reason", "team_id"])
    for col in ("hire_date", "termination_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


@pytest.fixture
def hr():
    return _employees([
        ("exact", "2023-01-01", T + pd.Timedelta(days=90), "voluntary", "t1"),
        ("one_late", "2023-01-01", T + pd.Timedelta(days=91), "voluntary", "t1"),
        ("next_day", "2023-01-01", T + pd.Timedelta(days=1), "voluntary", "t1"),
        ("invol", "2023-01-01", T + pd.Timedelta(days=10), "involuntary", "t1"),
        ("transfer", "2023-01-01", T + pd.Timedelta(days=10), "internal_transfer", "t2"),
        ("retire", "2023-01-01", T + pd.Timedelta(days=10), "retirement", "t2"),
        ("stayer", "2023-01-01", None, None, "t2"),
        ("left_on_t", "2023-01-01", T, "voluntary", "t2"),
        ("hired_after", T + pd.Timedelta(days=1), None, None, "t2"),
        ("hired_on_t", T, None, None, "t2"),
    ])


def test_population_is_employed_after_as_of(hr):
    ids = population(hr, [T])["employee_id"].tolist()
    assert "hired_after" not in ids
    assert "left_on_t" not in ids  # last day is the as-of date: already gone
    assert "hired_on_t" in ids
    assert ids == [i for i in hr["employee_id"] if i not in ("hired_after", "left_on_t")]


def test_labels_by_hand(hr):
    frame = population(hr, [T])
    out = make_labels(hr, frame, horizon_days=90, export_date="2025-12-31")
    got = dict(zip(frame["employee_id"], out["label_status"].astype(str), strict=True))
    assert got["exact"] == "positive"  # exit exactly at as_of + horizon
    assert got["one_late"] == "negative"  # one day later is not
    assert got["next_day"] == "positive"
    assert got["invol"] == "censored_competing"
    assert got["transfer"] == "censored_competing"  # transfers are not attrition
    assert got["retire"] == "censored_competing"
    assert got["stayer"] == "negative"
    labels = dict(zip(frame["employee_id"], out["label"], strict=True))
    assert labels["exact"] == 1.0 and labels["one_late"] == 0.0 and np.isnan(labels["invol"])


def test_unobserved_horizon_is_never_negative(hr):
    frame = population(hr, [T])
    # The export ends 30 days after T: no 90-day horizon is fully observed.
    out = make_labels(hr, frame, horizon_days=90, export_date=T + pd.Timedelta(days=30))
    assert (out["label_status"] == "censored_horizon").all()
    assert out["label"].isna().all()
    # Fully observed exactly at the export date.
    out = make_labels(hr, frame, horizon_days=90, export_date=T + pd.Timedelta(days=90))
    assert not (out["label_status"] == "censored_horizon").any()


def test_month_ends():
    assert month_ends("2024-01-31", "2024-02-29").tolist() == [pd.Timestamp("2024-01-31"),
                                                               pd.Timestamp("2024-02-29")]


def test_as_of_after_export_is_refused(hr):
    tables = Tables(hr, export_date=pd.Timestamp("2024-06-30"))
    with pytest.raises(LeakageError, match="after the export date"):
        build_snapshots(tables, as_of="2024-07-31")


def test_snapshot_rows_and_no_protected_features(small_centre):
    snaps = build_snapshots(small_centre.tables)
    assert not snaps.duplicated(["employee_id", "as_of"]).any()
    feats = feature_columns(snaps)
    assert "birth_year" not in feats and "gender" not in feats
    assert not {"termination_date", "termination_reason"} & set(feats)
    # one builder per source produced something
    for prefix in ("tenure_days", "team_size", "sched_", "wl_", "abs_", "survey_"):
        assert any(f.startswith(prefix) for f in feats), prefix


def test_missing_optional_tables_give_no_features_from_them(small_centre):
    t = small_centre.tables.copy(schedule=None, surveys=None)
    feats = feature_columns(build_snapshots(t, as_of=["2024-06-30"]))
    assert not any(f.startswith(("sched_", "survey_")) for f in feats)
    assert any(f.startswith("wl_") for f in feats)


def _truncate(tables: Tables, t: pd.Timestamp) -> Tables:
    """Keep only rows dated on or before t (and no termination info after t)."""
    from attrition.data._tables import DATE_COLUMNS

    changes = {}
    for name, col in DATE_COLUMNS.items():
        frame = getattr(tables, name)
        if frame is not None:
            changes[name] = frame.loc[frame[col] <= t].copy()
    emp = tables.employees.loc[tables.employees["hire_date"] <= t].copy()
    after = emp["termination_date"] > t
    emp.loc[after, ["termination_date"]] = pd.NaT
    emp.loc[after, ["termination_reason"]] = None
    return tables.copy(employees=emp, export_date=tables.infer_export_date(), **changes)


@pytest.mark.parametrize("t", ["2024-04-30", "2024-09-30"])
def test_rows_after_as_of_change_no_feature(small_centre, t):
    """The as-of rule on the whole pipeline: cutting every row dated after t
    (including future hires, exits and absences that end later) changes no feature at t."""
    t = pd.Timestamp(t)
    full = build_snapshots(small_centre.tables, as_of=[t], labels=False)
    cut = build_snapshots(_truncate(small_centre.tables, t), as_of=[t], labels=False)
    assert_frame_equal(full.reset_index(drop=True), cut.reset_index(drop=True))


def test_row_order_does_not_change_features(small_centre):
    t = pd.Timestamp("2024-08-31")
    tables = small_centre.tables
    rng = np.random.default_rng(0)
    shuffled = tables.copy(**{
        name: frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
        for name, frame in tables if name != "employees"
    })
    a = build_snapshots(tables, as_of=[t], labels=False).sort_values("employee_id")
    b = build_snapshots(shuffled, as_of=[t], labels=False).sort_values("employee_id")
    assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_inferred_export_date_allows_a_quiet_week_only(hr):
    from attrition import DataQualityWarning

    tables = Tables(hr)  # export date inferred: the newest row is T + 91 days
    newest = tables.infer_export_date()
    with pytest.warns(DataQualityWarning, match="after the newest row"):
        build_snapshots(tables, as_of=[newest + pd.Timedelta(days=7)], labels=False)
    with pytest.raises(LeakageError, match="inferred export date"):
        build_snapshots(tables, as_of=[newest + pd.Timedelta(days=8)], labels=False)


def test_windows_reaching_before_the_history_are_unknown(small_centre):
    tables = small_centre.tables
    start = tables.schedule["date"].min()
    early = start + pd.Timedelta(days=40)
    snaps = build_snapshots(tables, as_of=[early, start + pd.Timedelta(days=200)], labels=False)
    first = snaps["as_of"] == early
    assert snaps.loc[first, "sched_shifts_28d"].notna().all()
    assert snaps.loc[first, "sched_shifts_91d"].isna().all()  # 91 days reach before the export
    assert snaps.loc[first, "sched_adherence_change_28d"].isna().all()  # needs the longest window
    assert snaps.loc[~first, "sched_shifts_182d"].notna().any()


def test_export_date_ignores_future_hr_and_absence_rows(small_centre):
    tables = small_centre.tables.copy(export_date=None)
    before = tables.infer_export_date()
    emp = tables.employees.copy()
    emp.loc[emp.index[0], "hire_date"] = before + pd.Timedelta(days=120)  # an accepted offer
    ab = tables.absences.copy()
    ab.loc[ab.index[0], ["start_date", "end_date"]] = before + pd.Timedelta(days=150)  # booked holiday
    assert tables.copy(employees=emp, absences=ab).infer_export_date() == before


def test_one_date_gives_the_rows_of_the_full_build_exactly(small_centre):
    """Scoring builds one month; its features must be those the model was trained on."""
    tables = small_centre.tables
    full = build_snapshots(tables, horizon_days=30)
    for t in full["as_of"].unique()[[0, -1]]:
        one = build_snapshots(tables, as_of=[t], horizon_days=30)
        rows = full[full["as_of"] == t].reset_index(drop=True)
        assert_frame_equal(one, rows, check_exact=True)


def test_batches_of_employees_change_no_feature(small_centre, monkeypatch):
    from attrition.features import _base

    tables = small_centre.tables
    whole = build_snapshots(tables, horizon_days=30)
    monkeypatch.setattr(_base, "BATCH_ROWS", 97)  # many batches, several employees each
    assert_frame_equal(build_snapshots(tables, horizon_days=30), whole, check_exact=True)


def test_row_order_of_the_daily_tables_changes_no_feature(small_centre):
    tables = small_centre.tables
    shuffled = tables.copy(
        schedule=tables.schedule.sample(frac=1.0, random_state=1).reset_index(drop=True),
        workload=tables.workload.sample(frac=1.0, random_state=2).reset_index(drop=True),
    )
    t = build_snapshots(tables, horizon_days=30)["as_of"].unique()[-3:]
    assert_frame_equal(build_snapshots(shuffled, as_of=t, horizon_days=30),
                       build_snapshots(tables, as_of=t, horizon_days=30), check_exact=True)
