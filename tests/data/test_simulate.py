"""Tests of the simulated contact centre: determinism, contract invariants, realism."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from attrition.data._simulate import SURVEY_ITEMS, TRUTH_COLUMNS, SimulatedCentre, simulate
from attrition.data._tables import TABLE_NAMES

# ``attrition.simulate`` is also the name of the function re-exported by the package.
sim_module = importlib.import_module("attrition.data._simulate")

CONTRACT_COLUMNS = {
    "employees": [
        "employee_id",
        "hire_date",
        "termination_date",
        "termination_reason",
        "team_id",
        "site",
        "role",
        "employment_type",
        "contracted_hours",
        "hourly_wage",
        "birth_year",
        "gender",
    ],
    "schedule": [
        "employee_id",
        "date",
        "shift_start",
        "shift_end",
        "scheduled_minutes",
        "worked_minutes",
        "overtime_minutes",
        "adherence",
        "notice_days",
    ],
    "workload": [
        "employee_id",
        "date",
        "contacts_handled",
        "handle_seconds",
        "after_contact_seconds",
        "occupancy",
        "escalations",
        "csat",
        "qa_score",
    ],
    "absences": ["employee_id", "start_date", "end_date", "absence_type"],
    "surveys": ["employee_id", "survey_date", "item", "score", "scale_max"],
    "employee_history": ["employee_id", "effective_date", "team_id", "manager_id", "site", "role",
                         "employment_type", "contracted_hours", "hourly_wage", "grade", "change_reason"],
}
DATE_COLUMNS = {
    "employees": ["hire_date", "termination_date"],
    "schedule": ["date"],
    "workload": ["date"],
    "absences": ["start_date", "end_date"],
    "surveys": ["survey_date"],
    "employee_history": ["effective_date"],
}
STRING_COLUMNS = {
    "employees": [
        "employee_id",
        "termination_reason",
        "team_id",
        "site",
        "role",
        "employment_type",
        "gender",
    ],
    "schedule": ["employee_id", "shift_start", "shift_end"],
    "workload": ["employee_id"],
    "absences": ["employee_id", "absence_type"],
    "surveys": ["employee_id", "item"],
    "employee_history": ["employee_id", "team_id", "manager_id", "site", "role", "employment_type",
                         "change_reason"],
}
START = pd.Timestamp("2024-01-01")
EXPORT = pd.Timestamp("2025-12-31")


@pytest.fixture(scope="module")
def centre() -> SimulatedCentre:
    return simulate(n_employees=400, months=24, seed=7)


@pytest.fixture(scope="module")
def small() -> SimulatedCentre:
    return simulate(n_employees=60, months=6, seed=3)


def _assert_same(a: SimulatedCentre, b: SimulatedCentre) -> None:
    for name in TABLE_NAMES:
        assert_frame_equal(getattr(a.tables, name), getattr(b.tables, name))
    assert_frame_equal(a.truth, b.truth)
    assert a.tables.export_date == b.tables.export_date


def _employment_bounds(tables, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    emp = tables.employees.set_index("employee_id")
    joined = frame.join(emp[["hire_date", "termination_date"]], on="employee_id")
    joined["last_day"] = joined["termination_date"].fillna(tables.export_date)
    return joined


def _exposure(employees: pd.DataFrame, start: pd.Timestamp, export: pd.Timestamp):
    """Days employed within [start, export], split into tenure < 90 days and later."""
    lo = employees["hire_date"].clip(lower=start)
    hi = employees["termination_date"].fillna(export).clip(upper=export)
    total = ((hi - lo).dt.days + 1).clip(lower=0)
    early_hi = pd.concat([hi, employees["hire_date"] + pd.Timedelta(days=89)], axis=1).min(axis=1)
    early = ((early_hi - lo).dt.days + 1).clip(lower=0)
    return total, early


def _observables_by_month(tables) -> pd.DataFrame:
    schedule = tables.schedule.assign(month_end=tables.schedule["date"] + pd.offsets.MonthEnd(0))
    workload = tables.workload.assign(month_end=tables.workload["date"] + pd.offsets.MonthEnd(0))
    worked = schedule[schedule["worked_minutes"] > 0]
    shifts = worked.groupby(["employee_id", "month_end"]).agg(
        overtime=("overtime_minutes", "mean"),
        adherence=("adherence", "mean"),
        worked_minutes=("worked_minutes", "sum"),
    )
    work = workload.groupby(["employee_id", "month_end"]).agg(
        acw=("after_contact_seconds", "sum"),
        handle=("handle_seconds", "sum"),
        contacts=("contacts_handled", "sum"),
        qa=("qa_score", "mean"),
        csat=("csat", "mean"),
    )
    out = shifts.join(work, how="inner")
    out["acw_share"] = out["acw"] / out["handle"]
    out["contacts_per_hour"] = out["contacts"] / (out["worked_minutes"] / 60)
    return out


# ----------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_employees": 9}, "n_employees"),
        ({"n_employees": 200_001}, "n_employees"),
        ({"n_employees": 50.0}, "n_employees"),
        ({"n_employees": True}, "n_employees"),
        ({"months": 2}, "months"),
        ({"months": 121}, "months"),
        ({"months": "12"}, "months"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": "0"}, "seed"),
        ({"start": "not a date"}, "start"),
        ({"start": "1900-01-01"}, "start"),
    ],
)
def test_invalid_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(**kwargs)


# --------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_frames(small):
    _assert_same(small, simulate(n_employees=60, months=6, seed=3))


def test_numpy_integer_arguments_are_accepted(small):
    _assert_same(small, simulate(n_employees=np.int64(60), months=np.int32(6), seed=np.int64(3)))


def test_different_seed_gives_different_frames(small):
    other = simulate(n_employees=60, months=6, seed=4)
    assert not small.truth.equals(other.truth)
    assert not small.tables.schedule.equals(other.tables.schedule)


def test_start_date_moves_the_calendar():
    centre = simulate(n_employees=20, months=3, seed=0, start="2023-07-01")
    assert centre.tables.export_date == pd.Timestamp("2023-09-30")
    assert centre.tables.schedule["date"].min() == pd.Timestamp("2023-07-01")
    assert sorted(centre.truth["month_end"].unique()) == list(
        pd.to_datetime(["2023-07-31", "2023-08-31", "2023-09-30"]).astype("datetime64[ns]")
    )


# ----------------------------------------------------------------------- the conventions
def test_columns_and_dtypes_follow_the_conventions(centre):
    tables = centre.tables
    assert tables.present == list(TABLE_NAMES)
    for name in TABLE_NAMES:
        frame = getattr(tables, name)
        assert list(frame.columns) == CONTRACT_COLUMNS[name], name
        for column in frame.columns:
            dtype = frame[column].dtype
            if column in DATE_COLUMNS[name]:
                assert dtype == "datetime64[ns]", (name, column)
                assert (frame[column].dropna() == frame[column].dropna().dt.normalize()).all()
            elif column in STRING_COLUMNS[name]:
                assert pd.api.types.is_string_dtype(dtype), (name, column, dtype)
            else:
                assert dtype == np.float64, (name, column, dtype)
    assert list(centre.truth.columns) == list(TRUTH_COLUMNS)
    assert centre.truth["month_end"].dtype == "datetime64[ns]"
    assert centre.truth["quiet_quitting"].dtype == bool
    for column in ("tenure_days", "engagement", "exit_hazard_monthly", "p_exit_90d"):
        assert centre.truth[column].dtype == np.float64


def test_nothing_is_dated_after_the_export_date(centre):
    tables = centre.tables
    assert tables.export_date == EXPORT
    for name, columns in DATE_COLUMNS.items():
        for column in columns:
            assert getattr(tables, name)[column].max() <= EXPORT, (name, column)
    assert centre.truth["month_end"].max() == EXPORT
    assert tables.infer_export_date() == EXPORT


# ----------------------------------------------------------------------------- employees
def test_employee_invariants(centre):
    emp = centre.tables.employees
    assert emp["employee_id"].is_unique
    assert emp["employee_id"].str.fullmatch(r"E\d{6}").all()
    assert emp["team_id"].str.fullmatch(r"T\d{3}").all()
    terminated = emp["termination_date"].notna()
    assert (terminated == emp["termination_reason"].notna()).all()
    assert (emp.loc[terminated, "termination_date"] >= emp.loc[terminated, "hire_date"]).all()
    assert set(emp["termination_reason"].dropna()) <= {
        "voluntary",
        "involuntary",
        "internal_transfer",
        "retirement",
        "other",
    }
    # an existing workforce hired years before the start, and hiring classes after it
    assert (emp["hire_date"] < START - pd.DateOffset(years=2)).sum() > 50
    assert (emp["hire_date"] >= START).sum() > 100
    assert set(emp["site"]) <= {"north", "south", "remote"} and emp["site"].nunique() >= 2
    assert set(emp["role"]) == {"agent", "senior_agent"}
    assert (emp["role"] == "agent").mean() > 0.8
    assert set(emp["employment_type"]) == {"full_time", "part_time", "temporary"}
    assert emp["contracted_hours"].between(0, 60).all()
    assert (emp["hourly_wage"] > 0).all()
    assert emp["birth_year"].between(1960, 2006).all()
    assert (emp["birth_year"] == emp["birth_year"].round()).all()
    assert set(emp["gender"]) <= {"female", "male", "nonbinary"}
    # no termination is dated after the export; those still employed have empty fields
    assert emp["termination_date"].max() <= EXPORT


def test_teams_have_ten_to_fifteen_agents(centre):
    employed = centre.truth[centre.truth["month_end"] == EXPORT]
    teams = employed.join(
        centre.tables.employees.set_index("employee_id")["team_id"], on="employee_id"
    )
    assert 10 <= teams.groupby("team_id").size().mean() <= 15


def test_headcount_stays_near_the_target(centre):
    headcount = centre.truth.groupby("month_end").size()
    assert len(headcount) == 24
    assert headcount.between(0.9 * 400, 1.05 * 400).all()


# ------------------------------------------------------------------------------ schedule
def test_schedule_invariants(centre):
    tables = centre.tables
    schedule = tables.schedule
    assert not schedule.duplicated(["employee_id", "date"]).any()
    joined = _employment_bounds(tables, schedule, "date")
    assert (joined["date"] >= joined["hire_date"]).all()
    assert (joined["date"] <= joined["last_day"]).all()
    assert schedule["date"].min() == START
    for column in ("shift_start", "shift_end"):
        assert schedule[column].str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d").all()
    for column in ("scheduled_minutes", "worked_minutes", "overtime_minutes", "notice_days"):
        values = schedule[column]
        assert (values >= 0).all() and (values == values.round()).all(), column
    assert schedule["adherence"].between(0, 1).all()
    missed = schedule["worked_minutes"] == 0
    assert (schedule.loc[missed, "overtime_minutes"] == 0).all()
    worked = schedule.loc[~missed]
    ratio = (worked["worked_minutes"] - worked["overtime_minutes"]) / worked["scheduled_minutes"]
    assert ratio.between(0.9, 1.0).all()
    # late changes exist, and night shifts that end after midnight
    assert 0.02 < (schedule["notice_days"] <= 2).mean() < 0.25
    assert (schedule["shift_end"] < schedule["shift_start"]).mean() > 0.01
    # about five shifts a week for full-timers, fewer for part-timers
    emp = tables.employees.set_index("employee_id")
    per_week = schedule.groupby("employee_id").size() / (
        _exposure(emp.reset_index(), START, EXPORT)[0].set_axis(emp.index) / 7
    )
    by_type = per_week.groupby(emp["employment_type"]).median()
    assert 4.0 <= by_type["full_time"] <= 5.0
    assert by_type["part_time"] < by_type["full_time"]


def test_absence_days_shape_the_schedule(centre):
    tables = centre.tables
    spells = tables.absences
    days = spells.assign(
        date=[pd.date_range(s, e) for s, e in zip(spells["start_date"], spells["end_date"], strict=True)]
    ).explode("date")[["employee_id", "date", "absence_type"]]
    days["date"] = days["date"].astype("datetime64[ns]")
    rows = tables.schedule.merge(days, on=["employee_id", "date"], how="inner")
    # sick days keep their row with nothing worked; planned absences have no row
    assert (rows["absence_type"] == "sick").all()
    assert (rows["worked_minutes"] == 0).all()
    assert len(rows) > 100


# ------------------------------------------------------------------------------ workload
def test_workload_invariants(centre):
    tables = centre.tables
    workload = tables.workload
    assert not workload.duplicated(["employee_id", "date"]).any()
    keys = ["employee_id", "date"]
    worked = tables.schedule.loc[tables.schedule["worked_minutes"] > 0, keys]
    merged = workload[keys].merge(worked, on=keys, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    for column in ("contacts_handled", "escalations"):
        assert (workload[column] >= 0).all() and (workload[column] % 1 == 0).all()
    assert (workload["handle_seconds"] >= 0).all()
    assert (workload["after_contact_seconds"] <= workload["handle_seconds"]).all()
    assert workload["occupancy"].between(0, 1).all()
    assert workload["csat"].dropna().between(1, 5).all()
    assert workload["csat"].isna().any()
    assert workload["qa_score"].dropna().between(0, 100).all()
    # QA evaluations about once a week
    assert 0.12 < workload["qa_score"].notna().mean() < 0.3
    assert workload["escalations"].mean() < 3


# ------------------------------------------------------------------------------ absences
def test_absence_invariants(centre):
    tables = centre.tables
    spells = tables.absences
    assert (spells["start_date"] <= spells["end_date"]).all()
    assert set(spells["absence_type"]) <= {"sick", "vacation", "parental", "unpaid", "other"}
    counts = spells["absence_type"].value_counts()
    assert counts["sick"] > counts.get("parental", 0) and counts["vacation"] > counts["unpaid"]
    joined = _employment_bounds(tables, spells, "start_date")
    assert (joined["start_date"] >= joined["hire_date"]).all()
    assert (joined["end_date"] <= joined["last_day"]).all()
    ordered = spells.sort_values(["employee_id", "start_date"])
    previous_end = ordered.groupby("employee_id")["end_date"].shift()
    assert not (ordered["start_date"] <= previous_end).any()
    sick = spells[spells["absence_type"] == "sick"]
    vacation = spells[spells["absence_type"] == "vacation"]

    def length(spell: pd.DataFrame) -> float:
        return ((spell["end_date"] - spell["start_date"]).dt.days + 1).median()

    assert length(sick) <= 3 < length(vacation)


# ------------------------------------------------------------------------------- surveys
def test_survey_invariants(centre):
    tables = centre.tables
    surveys = tables.surveys
    assert not surveys.duplicated(["employee_id", "survey_date", "item"]).any()
    assert set(surveys["item"]) == set(SURVEY_ITEMS)
    enps = surveys["item"] == "enps"
    assert (surveys.loc[enps, "scale_max"] == 10).all()
    assert (surveys.loc[~enps, "scale_max"] == 6).all()
    assert (surveys["score"] == surveys["score"].round()).all()
    assert surveys.loc[enps, "score"].between(0, 10).all()
    assert surveys.loc[~enps, "score"].between(1, 6).all()
    # quarterly, company-wide waves: one date per wave, about three months apart
    dates = np.sort(surveys["survey_date"].unique())
    assert len(dates) == 8
    gaps = np.diff(dates).astype("timedelta64[D]").astype(int)
    assert ((gaps >= 85) & (gaps <= 95)).all()
    # respondents answer every item and are employed on the day
    assert (surveys.groupby(["employee_id", "survey_date"]).size() == len(SURVEY_ITEMS)).all()
    joined = _employment_bounds(tables, surveys, "survey_date")
    assert (joined["survey_date"] >= joined["hire_date"]).all()
    assert (joined["survey_date"] <= joined["last_day"]).all()


# --------------------------------------------------------------------------------- truth
def test_truth_rows_are_the_employed_month_ends(centre):
    emp = centre.tables.employees
    month_ends = pd.date_range(START, EXPORT, freq="ME").astype("datetime64[ns]")
    expected = emp.merge(pd.DataFrame({"month_end": month_ends}), how="cross")
    employed = (expected["hire_date"] <= expected["month_end"]) & (
        expected["termination_date"].isna() | (expected["termination_date"] > expected["month_end"])
    )
    expected = expected.loc[employed, ["employee_id", "month_end"]]
    truth = centre.truth
    assert not truth.duplicated(["employee_id", "month_end"]).any()
    assert_frame_equal(
        truth[["employee_id", "month_end"]].reset_index(drop=True),
        expected.sort_values(["employee_id", "month_end"]).reset_index(drop=True),
    )
    hire = truth.join(emp.set_index("employee_id")["hire_date"], on="employee_id")["hire_date"]
    tenure = (truth["month_end"] - hire).dt.days
    assert (truth["tenure_days"] == tenure).all()
    hazard = truth["exit_hazard_monthly"]
    assert hazard.between(0, 1, inclusive="neither").all()
    np.testing.assert_allclose(truth["p_exit_90d"], 1 - (1 - hazard) ** 3)


# ------------------------------------------------------------------------------- realism
def test_turnover_is_calibrated(centre):
    emp = centre.tables.employees
    total, early = _exposure(emp, START, EXPORT)
    voluntary = emp["termination_reason"] == "voluntary"
    annual = voluntary.sum() / total.sum() * 365.25
    assert 0.25 <= annual <= 0.50
    share = voluntary.sum() / emp["termination_reason"].notna().sum()
    assert 0.55 <= share <= 0.80
    reasons = emp["termination_reason"].value_counts()
    assert reasons["involuntary"] > reasons.get("internal_transfer", 0) > 0
    tenure_at_exit = (emp["termination_date"] - emp["hire_date"]).dt.days
    early_rate = (voluntary & (tenure_at_exit < 90)).sum() / early.sum()
    late_rate = (voluntary & (tenure_at_exit >= 90)).sum() / (total - early).sum()
    assert early_rate >= 1.5 * late_rate


def test_operations_are_calibrated(centre):
    schedule, workload = centre.tables.schedule, centre.tables.workload
    assert 0.70 <= workload["occupancy"].mean() <= 0.90
    assert 0.85 <= schedule.loc[schedule["worked_minutes"] > 0, "adherence"].mean() <= 0.95
    aht = workload["handle_seconds"].sum() / workload["contacts_handled"].sum()
    assert 300 <= aht <= 600
    acw_share = workload["after_contact_seconds"].sum() / workload["handle_seconds"].sum()
    assert 0.10 <= acw_share <= 0.20
    assert 3.5 <= workload["csat"].mean() <= 4.5


def test_surveys_are_calibrated(centre):
    emp = centre.tables.employees
    surveys = centre.tables.surveys
    rates = []
    for day, wave in surveys.groupby("survey_date"):
        employed = (emp["hire_date"] <= day) & (
            emp["termination_date"].isna() | (emp["termination_date"] >= day)
        )
        rates.append(wave["employee_id"].nunique() / employed.sum())
    assert 0.6 <= np.mean(rates) <= 0.8
    means = surveys.groupby("item")["score"].mean()
    for item, target in {"education_relevance": 3.3, "involvement": 4.0, "autonomy": 3.9}.items():
        assert abs(means[item] - target) <= 0.4, (item, means[item])


def test_quiet_quitting_shows_in_the_observable_data(centre):
    joined = centre.truth.join(
        _observables_by_month(centre.tables), on=["employee_id", "month_end"], how="inner"
    )
    quiet = joined.groupby("quiet_quitting").mean(numeric_only=True)
    assert 0.05 < centre.truth["quiet_quitting"].mean() < 0.35
    assert quiet.loc[True, "overtime"] < 0.5 * quiet.loc[False, "overtime"]
    assert quiet.loc[True, "adherence"] < quiet.loc[False, "adherence"] - 0.02
    assert quiet.loc[True, "acw_share"] > quiet.loc[False, "acw_share"] + 0.02
    assert quiet.loc[True, "contacts_per_hour"] < quiet.loc[False, "contacts_per_hour"]
    assert quiet.loc[True, "qa"] < quiet.loc[False, "qa"]
    assert quiet.loc[True, "csat"] < quiet.loc[False, "csat"]


def test_quiet_quitters_answer_surveys_less_and_lower(centre):
    truth = centre.truth
    surveys = centre.tables.surveys
    waves = surveys.assign(month_end=surveys["survey_date"] + pd.offsets.MonthEnd(0))
    answered = waves[waves["item"] == "engagement"][["employee_id", "month_end", "score"]]
    at_wave = truth[truth["month_end"].isin(answered["month_end"])].merge(
        answered, on=["employee_id", "month_end"], how="left"
    )
    by_state = at_wave.groupby("quiet_quitting")
    responded = by_state["score"].apply(lambda s: s.notna().mean())
    assert responded[True] < responded[False] - 0.1
    score = by_state["score"].mean()
    assert score[True] < score[False]


def test_true_hazard_is_higher_for_low_engagement_and_quiet_quitters(centre):
    truth = centre.truth
    by_quartile = truth.groupby(pd.qcut(truth["engagement"], 4), observed=True)[
        "exit_hazard_monthly"
    ].mean()
    assert by_quartile.is_monotonic_decreasing
    assert by_quartile.iloc[0] > 2 * by_quartile.iloc[-1]
    by_state = truth.groupby("quiet_quitting")["exit_hazard_monthly"].mean()
    assert by_state[True] > by_state[False]
    early = truth["tenure_days"] < 90
    assert (
        truth.loc[early, "exit_hazard_monthly"].mean()
        > truth.loc[~early, "exit_hazard_monthly"].mean()
    )


def test_voluntary_exits_follow_the_true_hazard(centre):
    truth = centre.truth
    emp = centre.tables.employees.set_index("employee_id")
    next_month = truth["month_end"] + pd.offsets.MonthEnd(1)
    joined = truth.join(emp[["termination_date", "termination_reason"]], on="employee_id")
    left = (
        (joined["termination_reason"] == "voluntary")
        & (joined["termination_date"] > joined["month_end"])
        & (joined["termination_date"] <= next_month)
    )
    observed = left[truth["month_end"] < EXPORT]
    expected = truth.loc[truth["month_end"] < EXPORT, "exit_hazard_monthly"]
    assert abs(observed.mean() - expected.mean()) < 0.2 * expected.mean()
    high = expected > expected.quantile(0.8)
    assert observed[high].mean() > 2 * observed[~high].mean()


# ------------------------------------------------------------------ protected attributes
def test_protected_attributes_change_nothing_else(small, monkeypatch):
    def constant(rng, hire_year, start_year):
        n = len(hire_year)
        return np.full(n, 1980), np.zeros(n, dtype=np.int64)

    monkeypatch.setattr(sim_module, "_draw_protected", constant)
    other = simulate(n_employees=60, months=6, seed=3)
    assert (other.tables.employees["gender"] == "female").all()
    assert (other.tables.employees["birth_year"] == 1980).all()
    assert_frame_equal(
        small.tables.employees.drop(columns=["birth_year", "gender"]),
        other.tables.employees.drop(columns=["birth_year", "gender"]),
    )
    for name in TABLE_NAMES[1:]:
        assert_frame_equal(getattr(small.tables, name), getattr(other.tables, name))
    assert_frame_equal(small.truth, other.truth)


def test_mean_hazard_does_not_differ_by_gender(centre):
    gender = centre.tables.employees.set_index("employee_id")["gender"]
    truth = centre.truth.join(gender, on="employee_id")
    by_gender = truth.groupby("gender")["exit_hazard_monthly"].mean()
    overall = truth["exit_hazard_monthly"].mean()
    assert abs(by_gender["female"] - by_gender["male"]) < 0.25 * overall


# --------------------------------------------------------------------------------- write
def test_write_csv_round_trips(small, tmp_path):
    out = tmp_path / "export"
    paths = small.write(out)
    assert set(paths) == {*TABLE_NAMES, "performance", "coaching", "truth"}
    assert paths["truth"] == out / "truth" / "ground_truth.csv"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{name}.csv" for name in (*TABLE_NAMES, "performance", "coaching")] + ["truth"]
    )
    for name in TABLE_NAMES:
        raw = pd.read_csv(paths[name], dtype=str, keep_default_na=False)
        assert list(raw.columns) == CONTRACT_COLUMNS[name]
        for column in DATE_COLUMNS[name]:
            values = raw[column][raw[column] != ""]
            assert values.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (name, column)
        back = pd.read_csv(paths[name], parse_dates=DATE_COLUMNS[name], date_format="%Y-%m-%d")
        expected = getattr(small.tables, name)
        for column in expected.columns:
            if column in DATE_COLUMNS[name]:
                assert (
                    back[column].astype("datetime64[ns]").fillna(pd.Timestamp(0))
                    == expected[column].fillna(pd.Timestamp(0))
                ).all(), (name, column)
            elif column in STRING_COLUMNS[name]:
                assert back[column].astype(object).equals(expected[column].astype(object)), (
                    name,
                    column,
                )
            else:
                np.testing.assert_allclose(
                    back[column].astype(float), expected[column], err_msg=column
                )
    raw = pd.read_csv(paths["employees"], dtype=str, keep_default_na=False)
    employed = raw["termination_date"] == ""
    assert employed.any() and (raw.loc[employed, "termination_reason"] == "").all()
    assert raw["birth_year"].str.fullmatch(r"\d{4}").all()
    truth = pd.read_csv(paths["truth"], parse_dates=["month_end"])
    assert list(truth.columns) == list(TRUTH_COLUMNS)
    np.testing.assert_allclose(truth["exit_hazard_monthly"], small.truth["exit_hazard_monthly"])


def test_write_parquet(small, tmp_path):
    paths = small.write(tmp_path, format="parquet")
    for name in TABLE_NAMES:
        back = pd.read_parquet(paths[name])
        assert list(back.columns) == CONTRACT_COLUMNS[name]
        assert len(back) == len(getattr(small.tables, name))
    truth = pd.read_parquet(paths["truth"])
    assert list(truth.columns) == list(TRUTH_COLUMNS)


def test_write_failure_leaves_no_files(small, tmp_path, monkeypatch):
    real = sim_module._write_frame
    calls = []

    def failing(frame, path, format):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        real(frame, path, format)

    monkeypatch.setattr(sim_module, "_write_frame", failing)
    out = tmp_path / "export"
    with pytest.raises(OSError, match="disk full"):
        small.write(out)
    assert not out.exists() or not any(out.rglob("*"))


def test_write_keeps_existing_files_on_failure(small, tmp_path, monkeypatch):
    small.write(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.csv")}

    def failing(frame, path, format):
        raise OSError("disk full")

    monkeypatch.setattr(sim_module, "_write_frame", failing)
    with pytest.raises(OSError):
        small.write(tmp_path)
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_write_rejects_unknown_format(small, tmp_path):
    with pytest.raises(ValueError, match="format"):
        small.write(tmp_path, format="xlsx")



# ------------------------------------------------------------------------ job history
def test_history_is_optional_and_its_effects_are_known(small):
    plain = simulate(n_employees=60, months=6, seed=3, history=False)
    assert plain.tables.present == list(TABLE_NAMES[:5]) and plain.tables.declared == {}
    assert plain.effects is None
    effects = small.effects.set_index("term")
    assert effects.loc["new_lead_91d", "real"] and not effects.loc["skills_session_91d", "real"]
    assert sorted(small.declarations) == ["coaching", "performance"]


def test_history_rows_agree_with_the_hr_master(centre):
    hist = centre.tables.employee_history
    emp = centre.tables.employees.set_index("employee_id")
    assert not hist.duplicated(["employee_id", "effective_date"]).any()
    last = hist.sort_values("effective_date").groupby("employee_id").last()
    for col in ("team_id", "role", "hourly_wage", "contracted_hours"):
        assert (last[col] == emp.loc[last.index, col]).all(), col
    first = hist.groupby("employee_id")["effective_date"].min()
    assert (first <= emp.loc[first.index, "hire_date"]).all()
    reasons = set(hist["change_reason"])
    assert {"hire", "promotion", "transfer", "pay_change", "hours_change", "manager_change"} <= reasons


def test_truth_holds_the_history_terms_of_the_true_logit(centre):
    from itertools import combinations

    from attrition.data import HISTORY_HAZARD

    plain = simulate(n_employees=30, months=4, seed=3, history=False)
    assert (plain.truth["history_logit"] == 0).all()
    coefs = [v for v in HISTORY_HAZARD.values() if v]
    sums = {round(sum(c), 6) for k in range(len(coefs) + 1) for c in combinations(coefs, k)}
    truth = centre.truth
    assert set(truth["history_logit"].round(6)) <= sums
    # A promotion effective within the year before a month end lowers that month's logit by 0.5.
    hist = centre.tables.employee_history
    promo = hist.loc[hist["change_reason"] == "promotion", ["employee_id", "effective_date"]]
    rows = truth.merge(promo, on="employee_id")
    recent = rows.loc[(rows["month_end"] >= rows["effective_date"])
                      & (rows["month_end"] - rows["effective_date"] < pd.Timedelta(days=365))]
    assert len(recent) > 20
    others = truth.loc[~truth.set_index(["employee_id", "month_end"]).index.isin(
        recent.set_index(["employee_id", "month_end"]).index), "history_logit"]
    assert recent["history_logit"].mean() < others.mean() - 0.3
