"""Partial rows: earlier month ends built with only the features the quiet-quitting state reads."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from attrition import AttritionModel
from attrition.exceptions import ConfigError
from attrition.features import FeatureBuilder, TenureFeatures
from attrition.snapshots import (
    COMPONENTS,
    PartialRows,
    QuietQuittingDefinition,
    SnapshotSpec,
    default_as_of_dates,
    fit_state_model,
    quiet_quitting_index,
)

KEYS = ["employee_id", "as_of", "team_id"]


def _assert_bits_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, order, index and dtypes; floats equal bit for bit, the rest by ``Series.equals``."""
    assert list(a.columns) == list(b.columns)
    assert a.index.equals(b.index)
    for col in a.columns:
        assert a[col].dtype == b[col].dtype, col
        if a[col].dtype == "float64":
            assert np.array_equal(a[col].to_numpy().view(np.int64), b[col].to_numpy().view(np.int64)), col
        else:
            assert a[col].equals(b[col]), col


@pytest.fixture(scope="module", params=["team", "identified"])
def builds(request, small_centre):
    """A full build of every month end, and one whose earlier month ends are partial."""
    tables = small_centre.tables
    spec = SnapshotSpec(survey_privacy=request.param)
    definition = spec.quiet_quitting_definition()
    dates = default_as_of_dates(tables)
    full = spec.build(tables, dates, labels=False)
    partial = spec.build(tables, dates, labels=False,
                         partial=PartialRows(dates[:-1], definition.state_features()))
    return full, partial, definition, dates


def test_state_features_follow_the_components():
    d = QuietQuittingDefinition(weights={"csat": 0})
    names = d.state_features()
    assert "sched_adherence_mean_28d" in names and "sched_adherence_change_28d" in names
    assert "wl_escalation_rate_182d" in names  # no change feature: the baseline window's level
    assert not any(n.startswith("wl_csat") for n in names)  # weight 0
    assert not any(n.startswith("survey_") for n in names)  # surveys only when identified
    assert "survey_waves_missed" in QuietQuittingDefinition(use_surveys=True).state_features()
    assert "tenure_days" in names
    assert "tenure_days" not in QuietQuittingDefinition(min_tenure_days=0).state_features()
    recent = {c.recent.format(r=d.recent_window, b=d.baseline_window) for c in COMPONENTS.values()}
    assert recent - {"wl_csat_mean_28d"} <= set(QuietQuittingDefinition(use_surveys=True).state_features())


@pytest.mark.parametrize("use_surveys", [False, True])
def test_the_index_and_state_read_nothing_but_the_state_features(small_centre, use_surveys):
    # Fails when the state filter starts reading a column that state_features does not list:
    # every other feature is blanked here, as on the partial rows of a scoring build.
    spec = SnapshotSpec(survey_privacy="identified" if use_surveys else "team")
    snaps = spec.build(small_centre.tables, labels=False)
    definition = fit_state_model(snaps, spec.quiet_quitting_definition())
    kept = [*KEYS, *definition.state_features()]
    blank = snaps.copy()
    for col in blank.columns:
        if col not in kept:
            blank[col] = np.nan
    assert_frame_equal(quiet_quitting_index(blank, definition), quiet_quitting_index(snaps, definition))
    assert quiet_quitting_index(snaps, definition)["quiet_quitting_state_probability"].notna().any()


def test_the_full_dates_rows_are_those_of_a_full_build(builds):
    full, partial, _, dates = builds
    last = (full["as_of"] == dates[-1]).to_numpy()
    assert 0 < last.sum() < len(full)
    assert full.attrs == {k: v for k, v in partial.attrs.items() if k != "partial_dates"}
    _assert_bits_equal(full.loc[last], partial.loc[last])


def test_the_partial_rows_hold_the_state_features_and_miss_the_rest(builds):
    full, partial, definition, dates = builds
    early = (full["as_of"] < dates[-1]).to_numpy()
    kept = [*KEYS, *definition.state_features()]
    assert set(definition.state_features()) <= set(full.columns)
    _assert_bits_equal(full.loc[early, kept], partial.loc[early, kept])
    dropped = [c for c in full.columns if c not in kept and partial.loc[early, c].isna().all()]
    # the absence, team, hiring, history and survey features (and peer comparisons) were not built there
    assert any(c.startswith("abs_") for c in dropped) and any(c.startswith("team_") for c in dropped)
    assert any(c.endswith("_vs_team") for c in dropped)
    assert (full.dtypes == partial.dtypes).all()


class _Unlabelled(FeatureBuilder):
    """Makes ``tenure_days`` without declaring it in ``labels``: must still reach every row."""

    name = "unlabelled"

    def build(self, tables, frame):
        return TenureFeatures().build(tables, frame)[["tenure_days"]]


class _Counts(FeatureBuilder):
    """An integer feature: no missing value fits its dtype, so every row is built."""

    name = "counts"

    def build(self, tables, frame):
        return pd.DataFrame({"row_count": np.arange(len(frame), dtype=np.int64) % 3})

    def labels(self):
        return {"row_count": "A count"}


def test_a_builder_is_built_on_every_row_when_its_output_needs_it(small_centre):
    tables = small_centre.tables
    dates = default_as_of_dates(tables)[-3:]
    builders = [_Unlabelled(), _Counts()]
    full = SnapshotSpec().build(tables, dates, labels=False, builders=builders)
    partial = SnapshotSpec().build(tables, dates, labels=False, builders=builders,
                                   partial=PartialRows(dates[:-1], ["tenure_days"]))
    assert partial["row_count"].dtype == np.int64
    _assert_bits_equal(full, partial)


def test_when_every_date_is_partial_every_row_is_built(small_centre):
    tables = small_centre.tables
    dates = default_as_of_dates(tables)[-2:]
    full = SnapshotSpec().build(tables, dates, labels=False)
    partial = SnapshotSpec().build(tables, dates, labels=False, partial=PartialRows(dates, ["tenure_days"]))
    _assert_bits_equal(full, partial)


def test_a_peer_comparison_asked_for_is_that_of_a_full_build(small_centre):
    """A ``<f>_vs_team`` feature listed for the partial rows makes its builder answer every row:
    the comparison there is the full build's, not the median against missing values."""
    tables = small_centre.tables
    spec = SnapshotSpec()
    dates = default_as_of_dates(tables)
    full = spec.build(tables, dates, labels=False)
    peer = next(c for c in full.columns if c.startswith("sched_") and c.endswith("_vs_team"))
    partial = spec.build(tables, dates, labels=False, partial=PartialRows(dates[:-1], [peer]))
    rows = PartialRows(dates[:-1], [peer]).rows(full)
    assert full.loc[rows, peer].notna().any()
    _assert_bits_equal(partial[[*KEYS, peer]], full[[*KEYS, peer]])


def test_categorical_features_are_those_of_a_full_build(small_centre):
    """Without the nesting period (``min_tenure_days=0``) the state reads no tenure feature, yet the
    tenure builder's categorical columns keep a full build's categories on the date's rows (a
    category seen only on earlier rows, e.g. a role held by someone who has left, stays)."""
    employees = small_centre.tables.employees.copy()
    left = employees["termination_date"] < pd.Timestamp("2024-09-30")
    employees["role"] = employees["role"].where(~left, "role_of_someone_who_left")
    tables = small_centre.tables.copy(employees=employees, employee_history=None)  # roles from the master
    spec = SnapshotSpec()
    definition = QuietQuittingDefinition(min_tenure_days=0)
    assert "tenure_days" not in definition.state_features()
    dates = default_as_of_dates(tables)
    full = spec.build(tables, dates, labels=False)
    partial = spec.build(tables, dates, labels=False,
                         partial=PartialRows(dates[:-1], definition.state_features()))
    categorical = [c for c in full.columns if isinstance(full[c].dtype, pd.CategoricalDtype)]
    assert "role_of_someone_who_left" in full["role"].cat.categories
    last = (full["as_of"] == dates[-1]).to_numpy()
    _assert_bits_equal(partial.loc[last, [*KEYS, *categorical]], full.loc[last, [*KEYS, *categorical]])


def test_partial_rows_want_a_list_of_features():
    with pytest.raises(ConfigError, match=r"\['tenure_days'\]"):
        PartialRows(["2024-01-31"], "tenure_days")


def test_a_partial_build_is_marked_and_refused_for_fitting(builds):
    full, partial, _, dates = builds
    assert "partial_dates" not in full.attrs
    assert partial.attrs["partial_dates"] == [f"{d:%Y-%m-%d}" for d in dates[:-1]]
    with pytest.raises(ConfigError, match="partial rows"):
        AttritionModel().fit(partial)


def test_a_build_codes_and_orders_each_daily_table_once(small_centre, monkeypatch):
    """The schedule builder and the workload builder's worked minutes share the schedule's key
    codes and order within one build (``shared_codes``); the frame is bit for bit that of a
    build whose builders code it each."""
    from contextlib import nullcontext

    from attrition.features import _base
    from attrition.snapshots import _build

    tables = small_centre.tables
    dates = default_as_of_dates(tables)[-3:]
    spec = SnapshotSpec()
    calls = []
    real = _base.sorted_codes

    def counting(keys, when):
        calls.append(len(keys))
        return real(keys, when)

    monkeypatch.setattr(_base, "sorted_codes", counting)
    shared = spec.build(tables, dates, labels=False)
    assert calls.count(len(tables.schedule)) == 1
    calls.clear()
    monkeypatch.setattr(_build, "shared_codes", nullcontext)
    alone = spec.build(tables, dates, labels=False)
    assert calls.count(len(tables.schedule)) == 2
    _assert_bits_equal(shared, alone)
