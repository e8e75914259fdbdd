"""A table emptied by the as-of cut reads like one whose rows all lie after t: windows unknown."""

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from attrition import build_snapshots

T = pd.Timestamp("2024-01-31")  # before the small centre's first survey (Feb) and review (March)


def test_removing_every_row_after_t_changes_no_feature_when_the_table_empties(small_centre):
    tables = small_centre.tables
    assert tables.surveys["survey_date"].min() > T and tables.declared["performance"]["review_date"].min() > T
    base = build_snapshots(tables, as_of=[T], labels=False)
    cut = tables.copy(surveys=tables.surveys.iloc[:0],
                      declared={**tables.declared, "performance": tables.declared["performance"].iloc[:0]})
    emptied = build_snapshots(cut, as_of=[T], labels=False)
    assert_frame_equal(base, emptied)
    assert np.isnan(base["survey_team_response_rate_365d"]).all()
