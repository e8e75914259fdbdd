"""The hazard model's number of trees, refit on the latest months and risk level (issue 14, item 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition import AttritionModel
from attrition.exceptions import ConfigError
from attrition.models import monthly_label

SMALL = {"n_estimators": 40}


def _monthly(snaps):
    as_of = pd.to_datetime(snaps["as_of"])
    return as_of, monthly_label(as_of, snaps["duration_days"], snaps["event"])


def test_rolling_folds_choose_the_trees_before_the_calibration_months(medium_snapshots):
    model = AttritionModel(stopping_folds=3, refit=None, lgbm_params=SMALL).fit(medium_snapshots)
    s = model.training_summary_
    assert s["stopping_folds"] == 3 == len(model.fold_best_iterations_)
    assert 1 <= model.best_iteration_ <= SMALL["n_estimators"]
    assert model.booster_.num_trees() == model.best_iteration_
    folds = model._stopping_folds(*_folds_args(model, medium_snapshots))
    first_cal = pd.Timestamp(s["calibration_first_as_of"])
    as_of = pd.to_datetime(medium_snapshots["as_of"])
    for j, (train, stop) in enumerate(folds):
        assert as_of[stop].max() < first_cal
        assert as_of[train].max() < as_of[stop].min()
        if j:  # each fold one month further back than the one before
            assert as_of[stop].max() < as_of[folds[j - 1][1]].max()


def _folds_args(model, snaps):
    as_of, y = _monthly(snaps)
    train, stop, _, _ = model._hazard_split(as_of, y, snaps["label"].to_numpy(dtype="float64"))
    return as_of, ~np.isnan(y), train, stop


def test_min_trees_is_a_floor(medium_snapshots):
    model = AttritionModel(min_trees=35, refit=None, lgbm_params=SMALL).fit(medium_snapshots)
    assert 35 <= model.best_iteration_ == model.booster_.num_trees() <= 40


def test_refit_keeps_the_trees_count_and_the_metrics_of_the_model_before_it(medium_snapshots):
    plain = AttritionModel(refit=None, level_months=None, lgbm_params=SMALL).fit(medium_snapshots)
    refit = AttritionModel(refit="all", level_months=None, lgbm_params=SMALL).fit(medium_snapshots)
    assert refit.best_iteration_ == plain.best_iteration_ == refit.booster_.num_trees()
    assert refit.metrics_ == plain.metrics_  # measured before the refit, on months it had not seen
    assert refit.calibration_ == plain.calibration_  # "all": the Platt scaling before the refit is kept
    rows = medium_snapshots.tail(300)
    assert not np.allclose(refit.predict_risk(rows), plain.predict_risk(rows))  # trained on more months
    again = AttritionModel(refit="stopping", level_months=None, lgbm_params=SMALL).fit(medium_snapshots)
    assert again.calibration_ != plain.calibration_  # refitted on the calibration months


def test_refit_uses_the_setting_chosen_among_the_candidates(medium_snapshots):
    model = AttritionModel(lgbm_candidates=[{"num_leaves": 2}], lgbm_params=SMALL).fit(medium_snapshots)
    leaves = [tree["num_leaves"] for tree in model.booster_.dump_model()["tree_info"]]
    assert model.training_summary_["refit"] == "all" and leaves and max(leaves) <= 2


def test_level_months_match_the_latest_months_exit_rate(medium_snapshots):
    model = AttritionModel(level_months=12, lgbm_params=SMALL).fit(medium_snapshots)
    as_of, y = _monthly(medium_snapshots)
    seen = ~np.isnan(y)
    rows = seen & as_of.isin(np.sort(as_of[seen].unique())[-12:]).to_numpy()
    hazard = model.predict_hazard(medium_snapshots.loc[rows])[:, 0]
    assert hazard.mean() == pytest.approx(y[rows].mean(), rel=1e-6)
    plain = AttritionModel(level_months=None, lgbm_params=SMALL).fit(medium_snapshots)
    assert model.calibration_[0] == plain.calibration_[0]  # the slope is the calibration months'


@pytest.mark.parametrize("kwargs", [{"refit": "yes"}, {"stopping_folds": 0}, {"min_trees": -1},
                                    {"level_months": 0}])
def test_bad_options_are_refused(medium_snapshots, kwargs):
    with pytest.raises(ConfigError):
        AttritionModel(**kwargs).fit(medium_snapshots)
