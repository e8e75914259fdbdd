"""Training under a limited number of OpenMP threads: the same trees."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from attrition.models import AttritionModel, limited_threads


def _openmp_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}


def test_the_limit_holds_inside_the_block_only():
    before = _openmp_threads()
    with limited_threads(1):
        assert _openmp_threads() == {1}
    assert _openmp_threads() == before
    with limited_threads(None):  # no limit: the libraries' own default
        assert _openmp_threads() == before


def test_one_thread_fits_the_same_model_as_every_thread(medium_snapshots):
    # force_col_wise: one thread builds each feature's histogram, so the trees do not depend on
    # the number of threads; an AttritionModel fitted under the limit is the same, byte for byte.
    def fit() -> AttritionModel:
        return AttritionModel(random_state=0).fit(medium_snapshots)

    every = fit()
    with limited_threads(1):
        one = fit()
    assert one.booster_.model_to_string() == every.booster_.model_to_string()
    assert one.metrics_ == every.metrics_
    np.testing.assert_array_equal(one.predict_risk(medium_snapshots), every.predict_risk(medium_snapshots))



@pytest.mark.parametrize("n", [0, -1, 1.5])
def test_a_count_below_one_or_fractional_is_refused(n):
    with pytest.raises(ValueError, match="at least 1"), limited_threads(n):
        pass
