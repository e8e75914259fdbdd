"""Survey features: latest answers, their changes, and non-response.

Every feature at as-of date ``t`` uses only answers with ``survey_date <= t``.

Privacy modes
-------------
Pulse surveys are usually promised to be confidential, so the builder has
three modes (``privacy``; the pipeline takes it from ``Config.survey_privacy``):

* ``team`` (the default): no individual answer and no individual
  non-response enters the features. Per item, ``survey_team_<item>_mean`` is
  the mean of the latest answers (dated in ``(t - response_window, t]``) of
  the members of the employee's team employed on ``t``, the same value for
  every member; ``survey_team_response_rate_<n>d`` is the share of those
  members who answered anything in ``(t - n, t]``. A team with fewer than
  ``min_group_size`` respondents (members, for the response rate) is
  suppressed: ``NaN``, the same as no survey at all.
* ``identified``: the individual features below (use only where the
  organisation has the right to use identified answers).
* ``off``: the pipeline adds no survey features
  (:func:`attrition.features.default_builders` leaves the builder out).

Scores are put on a common 0–1 scale: ``(score - low) / (scale_max - low)``
with ``low = 0`` when ``scale_max == 10`` (eNPS-style 0–10 items) and
``low = 1`` otherwise. A missing ``scale_max`` (or a missing column) defaults
to 10 for ``enps`` and 6 for every other item, as in the data contract.
Answers without a score are ignored (they are neither answers nor waves).

Items
-----
Per item of ``items`` (default: the contract's list) the builder makes the
latest answer on or before ``t`` and its change from the previous answer to
the same item. Items not in ``items`` get no item features (so the feature
set does not depend on the export), but their answers still count as answers
for ``survey_days_since_answer`` and for the non-response features.

Non-response
------------
A *wave* is a calendar month in which anyone answered anything; it *opens* on
the first answer of that month. At ``t`` the waves are those that opened on or
before ``t``, and an employee *answered* a wave when they gave an answer in
its month dated on or before ``t`` (so, early in a wave that is still running,
those who will answer later in the month count as not having answered yet —
that is what is known at ``t``). An employee is *eligible* for a wave when
hired on or before its opening day (``hire_date`` from ``employees``; a
missing hire date means always eligible) or when they answered it.

* ``survey_answered_last_wave``: 1/0 for the latest wave opened on or before
  ``t``; ``NaN`` when there is none or the employee was not eligible for it.
* ``survey_response_rate_<n>d``: answered / eligible waves among the waves
  that opened in ``(t - n, t]``; ``NaN`` when no eligible wave.
* ``survey_waves_missed``: eligible waves missed in a row since the
  employee's last answered wave (0 when the latest wave was answered);
  ``NaN`` when there is no eligible wave on or before ``t``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from attrition.data._schemas import SURVEY_ITEMS
from attrition.data._tables import Tables
from attrition.features._base import FeatureBuilder, latest_before, snapshot_keys

__all__ = ["DEFAULT_ITEMS", "SurveyFeatures", "SURVEY_PRIVACY_MODES"]

#: The survey items of the data contract.
DEFAULT_ITEMS: tuple[str, ...] = SURVEY_ITEMS
#: The privacy modes (see the module docs).
SURVEY_PRIVACY_MODES: tuple[str, ...] = ("team", "identified", "off")




def normalise_scores(surveys: pd.DataFrame) -> np.ndarray:
    """Scores on a 0–1 scale: ``(score - low) / (scale_max - low)``.

    ``low`` is 0 when ``scale_max`` is 10 and 1 otherwise; a missing
    ``scale_max`` is 10 for ``enps`` and 6 for other items.

    >>> s = pd.DataFrame({"item": ["enps", "enps", "engagement", "engagement"],
    ...                   "score": [0.0, 7.0, 1.0, 6.0], "scale_max": [10.0, None, None, 6.0]})
    >>> normalise_scores(s).tolist()
    [0.0, 0.7, 0.0, 1.0]
    """
    item = surveys["item"].astype("str").to_numpy(dtype=object)
    score = pd.to_numeric(surveys["score"], errors="coerce").to_numpy(dtype="float64")
    if "scale_max" in surveys.columns:
        scale = pd.to_numeric(surveys["scale_max"], errors="coerce").to_numpy(dtype="float64")
    else:
        scale = np.full(len(surveys), np.nan)
    scale = np.where(np.isnan(scale), np.where(item == "enps", 10.0, 6.0), scale)
    low = np.where(scale == 10, 0.0, 1.0)
    span = scale - low
    out = np.full(len(score), np.nan)
    np.divide(score - low, span, out=out, where=span > 0)
    return out


class SurveyFeatures(FeatureBuilder):
    """Latest survey answers, their changes, recency and non-response.

    Parameters
    ----------
    windows : sequence of int, default (28, 91, 182)
        Unused: pulse surveys are too sparse for short windows. Kept for a
        uniform constructor.
    items : sequence of str, default :data:`DEFAULT_ITEMS`
        Items that get per-item features.
    response_window : int, default 365
        Days over which the response rate is computed (at least 32, so that
        a wave's month never straddles both ends of the window); in ``team``
        mode also how old an answer may be and still count.
    privacy : {"team", "identified", "off"}, default "team"
        ``team``: only team aggregates over at least ``min_group_size``
        respondents; ``identified``: individual answers and non-response;
        ``off``: every feature missing (the pipeline drops the builder).
    min_group_size : int, default 5
        Fewest respondents (team mode) for a team figure to be shown.

    Examples
    --------
    >>> from attrition import Tables
    >>> sv = pd.DataFrame({"employee_id": ["a", "a", "b"],
    ...     "survey_date": pd.to_datetime(["2024-01-10", "2024-02-10", "2024-03-05"]),
    ...     "item": ["enps", "enps", "enps"], "score": [8.0, 6.0, 9.0],
    ...     "scale_max": [10.0, 10.0, 10.0]})
    >>> emp = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"],
    ...     "hire_date": pd.to_datetime(["2023-01-01"])})
    >>> fr = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"],
    ...     "as_of": pd.to_datetime(["2024-03-31"])})
    >>> out = SurveyFeatures(items=["enps"], privacy="identified").build(Tables(emp, surveys=sv), fr)
    >>> out.round(3).to_dict("records")
    [{'survey_enps_latest': 0.6, 'survey_enps_change': -0.2, 'survey_days_since_answer': 50.0, 'survey_answered_last_wave': 0.0, 'survey_response_rate_365d': 0.667, 'survey_waves_missed': 1.0}]

    In ``team`` mode a team of one is suppressed:

    >>> SurveyFeatures(items=["enps"]).build(Tables(emp, surveys=sv), fr).to_dict("records")
    [{'survey_team_enps_mean': nan, 'survey_team_response_rate_365d': nan}]
    """

    name = "survey"
    table = "surveys"

    def __init__(
        self,
        windows: Sequence[int] = (28, 91, 182),
        *,
        items: Sequence[str] = DEFAULT_ITEMS,
        response_window: int = 365,
        privacy: str = "team",
        min_group_size: int = 5,
    ) -> None:
        self.windows = windows
        self.items = items
        self.response_window = response_window
        self.privacy = privacy
        self.min_group_size = min_group_size


    # ------------------------------------------------------------------ names
    def _check_privacy(self) -> None:
        if self.privacy not in SURVEY_PRIVACY_MODES:
            raise ValueError(
                f"privacy must be one of {', '.join(SURVEY_PRIVACY_MODES)}, got {self.privacy!r}."
            )
        if not isinstance(self.min_group_size, (int, np.integer)) or self.min_group_size < 2:
            raise ValueError(f"min_group_size must be a whole number >= 2, got {self.min_group_size!r}.")

    def labels(self) -> dict[str, str]:
        self._check_privacy()
        if self.privacy == "off":
            return {}
        if self.privacy == "team":
            n, k = int(self.response_window), int(self.min_group_size)
            lab = {
                f"survey_team_{item}_mean": (
                    f"Team mean of '{str(item).replace('_', ' ')}' answers, last {n} days "
                    f"(0–1 scale, ≥{k} respondents)"
                )
                for item in self.items
            }
            lab[f"survey_team_response_rate_{n}d"] = (
                f"Share of the team that answered a survey, last {n} days"
            )
            return lab
        lab: dict[str, str] = {}
        for item in self.items:
            readable = str(item).replace("_", " ")
            lab[f"survey_{item}_latest"] = f"Latest '{readable}' answer (0–1 scale)"
            lab[f"survey_{item}_change"] = (
                f"Change in '{readable}' since the previous answer (0–1 scale)"
            )
        lab["survey_days_since_answer"] = "Days since the last survey answer"
        lab["survey_answered_last_wave"] = "Answered the latest survey wave"
        n = int(self.response_window)
        lab[f"survey_response_rate_{n}d"] = f"Share of survey waves answered, last {n} days"
        lab["survey_waves_missed"] = "Survey waves missed in a row"
        return lab

    def peer_features(self) -> list[str]:
        if self.privacy != "identified":
            return []  # a team aggregate minus its team median would say nothing
        items = [i for i in ("engagement", "enps", "intent_to_stay") if i in self.items]
        return [f"survey_{i}_latest" for i in items] + [
            f"survey_response_rate_{int(self.response_window)}d"
        ]

    # ------------------------------------------------------------------ build
    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        n_days = int(self.response_window)
        if n_days < 32:
            raise ValueError(
                f"response_window must be at least 32 days, got {self.response_window!r}."
            )
        names = list(self.labels())
        sv = tables.surveys
        if sv is None or len(frame) == 0 or self.privacy == "off":
            return self.all_missing(frame)
        keys = snapshot_keys(frame)
        t_ns = keys["as_of"].to_numpy()

        ans = pd.DataFrame(
            {
                "employee_id": sv["employee_id"].astype("str").to_numpy(),
                "date": pd.to_datetime(sv["survey_date"]).astype("datetime64[ns]").to_numpy(),
                "item": sv["item"].astype("str").to_numpy(),
                "value": normalise_scores(sv),
            }
        )
        ans = ans[ans["value"].notna() & ans["date"].notna()].reset_index(drop=True)
        if self.privacy == "team":
            return self._build_team(ans, keys, frame, n_days, names)

        out: dict[str, np.ndarray] = {}
        # --- per item: latest answer and change from the previous one --------
        for item in self.items:
            rows = _item_answers(ans, item)
            if rows is None:
                out[f"survey_{item}_latest"] = np.full(len(keys), np.nan)
                out[f"survey_{item}_change"] = np.full(len(keys), np.nan)
                continue
            rows["prev"] = rows.groupby("employee_id", sort=False, observed=True)["value"].shift(1)
            got = latest_before(rows, "date", ["value", "prev"], keys)
            out[f"survey_{item}_latest"] = got["value"].to_numpy(dtype="float64")
            out[f"survey_{item}_change"] = (got["value"] - got["prev"]).to_numpy(dtype="float64")

        # --- recency of any answer --------------------------------------------
        days = self._days
        if len(ans):
            last_any = latest_before(ans, "date", [], keys)["date"].to_numpy()
            out["survey_days_since_answer"] = days(t_ns) - days(last_any)
        else:
            out["survey_days_since_answer"] = np.full(len(keys), np.nan)

        # --- non-response -----------------------------------------------------
        hire = self._hire_dates(tables.employees, keys)
        answered_last, rate, missed = self._non_response(ans, keys, hire, n_days)
        out["survey_answered_last_wave"] = answered_last
        out[f"survey_response_rate_{n_days}d"] = rate
        out["survey_waves_missed"] = missed
        return pd.DataFrame(out, columns=names).astype("float64")

    def _build_team(
        self, ans: pd.DataFrame, keys: pd.DataFrame, frame: pd.DataFrame, n_days: int,
        names: list[str],
    ) -> pd.DataFrame:
        """Team aggregates over at least ``min_group_size`` respondents (see the module docs).

        A team is the ``team_id`` of the frame's rows on the same as-of date,
        i.e. the members employed on ``t``; each member's latest answer to an
        item (on or before ``t``, within ``n_days``) counts once.
        """
        k = int(self.min_group_size)
        t = self._days(keys["as_of"].to_numpy())
        team = frame["team_id"].astype("str").to_numpy() if "team_id" in frame.columns else (
            np.full(len(keys), "", dtype=object))
        groups = [keys["as_of"].to_numpy(), team]

        def team_mean(values: np.ndarray, counted: np.ndarray) -> np.ndarray:
            parts = pd.DataFrame({"v": np.where(counted, values, 0.0), "n": counted.astype("float64")})
            sums = parts.groupby(groups, dropna=False, sort=False).transform("sum")
            n = sums["n"].to_numpy(dtype="float64")
            out = np.full(len(keys), np.nan)
            np.divide(sums["v"].to_numpy(dtype="float64"), n, out=out, where=n >= k)
            return out

        out: dict[str, np.ndarray] = {}
        for item in self.items:
            rows = _item_answers(ans, item)
            if rows is None:
                out[f"survey_team_{item}_mean"] = np.full(len(keys), np.nan)
                continue
            got = latest_before(rows, "date", ["value"], keys)
            value = got["value"].to_numpy(dtype="float64")
            recent = (t - self._days(got["date"].to_numpy())) < n_days
            out[f"survey_team_{item}_mean"] = team_mean(value, ~np.isnan(value) & recent)

        if len(ans):
            last = self._days(latest_before(ans, "date", [], keys)["date"].to_numpy())
            answered = ((t - last) < n_days).astype("float64")  # NaN (never) compares False
        else:
            answered = np.zeros(len(keys))
        out[f"survey_team_response_rate_{n_days}d"] = team_mean(answered, np.ones(len(keys), bool))
        return pd.DataFrame(out, columns=names).astype("float64")

    @staticmethod
    def _days(values: np.ndarray) -> np.ndarray:
        """Day numbers (float, ``NaN`` for ``NaT``) of datetime64 values."""
        values = np.asarray(values).astype("datetime64[ns]")
        out = values.astype("datetime64[D]").astype("int64").astype("float64")
        out[np.isnat(values)] = np.nan
        return out

    @staticmethod
    def _hire_dates(employees: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
        """Hire date of each frame row (``NaT`` if unknown), datetime64[ns]."""
        if employees is None or "hire_date" not in employees.columns:
            return np.full(len(keys), np.datetime64("NaT"), dtype="datetime64[ns]")
        hire = pd.Series(
            pd.to_datetime(employees["hire_date"]).astype("datetime64[ns]").to_numpy(),
            index=employees["employee_id"].astype("str").to_numpy(),
        )
        hire = hire[~hire.index.duplicated(keep="first")]
        return hire.reindex(keys["employee_id"].to_numpy()).to_numpy(dtype="datetime64[ns]")

    def _non_response(
        self, ans: pd.DataFrame, keys: pd.DataFrame, hire: np.ndarray, n_days: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Answered-latest-wave flag, response rate and waves missed in a row.

        Waves are few (one per month), so each frame row finds its wave
        positions with ``searchsorted`` on the sorted opening days; the
        employee's answered waves are read back with as-of joins on
        cumulative counts (:func:`latest_before`).
        """
        n = len(keys)
        nan = np.full(n, np.nan)
        if len(ans) == 0:
            return nan, nan.copy(), nan.copy()
        t = self._days(keys["as_of"].to_numpy())
        h = self._days(hire)
        h = np.where(np.isnan(h), -np.inf, h)

        month = ans["date"].dt.to_period("M")
        # Waves: one per month with any answer, opening on its first answer.
        opens = ans.groupby(month, sort=True)["date"].min()
        open_day = np.sort(self._days(opens.to_numpy()))
        wave_of_month = pd.Series(np.arange(len(opens)), index=opens.sort_values().index)

        def waves_upto(x: np.ndarray) -> np.ndarray:
            """How many waves opened on or before day ``x``."""
            return np.searchsorted(open_day, x, side="right").astype("float64")

        # Answered waves per employee: first answer of the employee in the month.
        resp = (
            ans.assign(_month=month)
            .groupby(["employee_id", "_month"], sort=False, observed=True)["date"]
            .min()
            .reset_index()
        )
        resp["wave"] = wave_of_month.reindex(resp["_month"]).to_numpy()
        resp["open"] = open_day[resp["wave"].to_numpy()]
        emp_hire = self._hire_dates_for(resp["employee_id"], keys, hire)
        resp["pre_hire"] = (resp["open"].to_numpy() < emp_hire).astype("float64")
        resp = resp.sort_values(["employee_id", "wave"], kind="stable").reset_index(drop=True)
        grp = resp.groupby("employee_id", sort=False, observed=True)
        resp["cum"] = grp.cumcount().astype("float64") + 1.0
        resp["cum_pre"] = grp["pre_hire"].cumsum()
        resp["open_date"] = pd.to_datetime(
            resp["open"].to_numpy().astype("int64").astype("datetime64[D]")
        ).astype("datetime64[ns]")
        resp["wave_f"] = resp["wave"].astype("float64")

        # Latest answered wave as of t (by answer date <= t): cumulative counts.
        by_answer = latest_before(resp, "date", ["wave_f", "cum", "cum_pre"], keys)
        last_wave = by_answer["wave_f"].to_numpy(dtype="float64")
        a_t = by_answer["cum"].fillna(0.0).to_numpy(dtype="float64")
        pre_t = by_answer["cum_pre"].fillna(0.0).to_numpy(dtype="float64")
        # Answered waves that opened on or before t - n: all answered well before t.
        by_open = latest_before(
            resp.sort_values("open_date", kind="stable"),
            "open_date",
            ["cum", "cum_pre"],
            keys,
            lag_days=n_days,
        )
        a_old = by_open["cum"].fillna(0.0).to_numpy(dtype="float64")
        pre_old = by_open["cum_pre"].fillna(0.0).to_numpy(dtype="float64")

        k_t = waves_upto(t)  # waves opened on or before t
        latest = k_t - 1.0  # index of the latest of them (-1: none)
        first_eligible = np.searchsorted(open_day, h, side="left").astype("float64")  # open >= hire

        # Answered the latest wave?
        answered = (latest >= 0) & (last_wave == latest)
        eligible_latest = (latest >= 0) & (first_eligible <= latest)
        answered_last = np.where(answered, 1.0, np.where(eligible_latest, 0.0, np.nan))

        # Response rate over waves opened in (t - n, t].
        k_old = waves_upto(t - n_days)
        eligible_count = np.clip(k_t - np.maximum(k_old, first_eligible), 0.0, None) + (
            pre_t - pre_old
        )
        answered_count = a_t - a_old
        rate = np.full(n, np.nan)
        np.divide(answered_count, eligible_count, out=rate, where=eligible_count > 0)

        # Eligible waves missed since the last answered one.
        after = np.where(np.isnan(last_wave), 0.0, last_wave + 1.0)
        missed = np.clip(k_t - np.maximum(after, first_eligible), 0.0, None)
        any_eligible = (np.clip(k_t - first_eligible, 0.0, None) > 0) | (a_t > 0)
        missed = np.where(any_eligible, missed, np.nan)
        return answered_last, rate, missed

    def _hire_dates_for(
        self, employee_ids: pd.Series, keys: pd.DataFrame, hire: np.ndarray
    ) -> np.ndarray:
        """Hire day numbers for ``employee_ids`` (``-inf`` when unknown)."""
        lookup = pd.Series(self._days(hire), index=keys["employee_id"].to_numpy())
        lookup = lookup[~lookup.index.duplicated(keep="first")]
        out = lookup.reindex(employee_ids.to_numpy()).to_numpy(dtype="float64")
        return np.where(np.isnan(out), -np.inf, out)


def _item_answers(ans: pd.DataFrame, item: str) -> pd.DataFrame | None:
    """One answer to ``item`` per (employee, day), sorted; the mean if duplicated. ``None`` if none."""
    rows = ans[ans["item"] == item]
    if len(rows) == 0:
        return None
    return rows.groupby(["employee_id", "date"], sort=True, observed=True)["value"].mean().reset_index()
