"""Point-in-time feature builders, one module per source table.

=================  ============  ===========================================
builder            table         what it describes
=================  ============  ===========================================
TenureFeatures     employees     tenure, early-tenure phase, contract, pay
TeamFeatures       employees     team size, growth, exits and hires
HiringFeatures     employees     hiring class size, team exits before the hire
ScheduleFeatures   schedule      nights, weekends, late changes, rest, overtime
WorkloadFeatures   workload      occupancy, handle time, quality, escalations
AbsenceFeatures    absences      sick days and spells, Bradford factor
SurveyFeatures     surveys       latest answers, changes, non-response
HistoryFeatures    employee_     moves, promotions, pay and hours changes,
                   history       the team lead (span, tenure, leavers)
DeclaredFeatures   your tables   measures: means, last, changes; events:
                                 counts and days since the last one
=================  ============  ===========================================
"""

from attrition.features._base import FeatureBuilder, latest_before, trailing_sums
from attrition.features._declared import DeclaredFeatures, event_values
from attrition.features._history import (
    EXPORT_TIME_FEATURES,
    HistoryFeatures,
    history_phrase,
    hr_attributes,
)
from attrition.features.absence import AbsenceFeatures
from attrition.features.hiring import HiringFeatures
from attrition.features.schedule import ScheduleFeatures
from attrition.features.survey import SurveyFeatures
from attrition.features.team import TeamFeatures
from attrition.features.tenure import CATEGORICAL_FEATURES, TenureFeatures
from attrition.features.workload import WorkloadFeatures

__all__ = [
    "FeatureBuilder",
    "TenureFeatures",
    "TeamFeatures",
    "HiringFeatures",
    "ScheduleFeatures",
    "WorkloadFeatures",
    "AbsenceFeatures",
    "SurveyFeatures",
    "HistoryFeatures",
    "DeclaredFeatures",
    "declared_builders",
    "event_values",
    "hr_attributes",
    "history_phrase",
    "EXPORT_TIME_FEATURES",
    "CATEGORICAL_FEATURES",
    "default_builders",
    "trailing_sums",
    "latest_before",
]


def default_builders(
    windows=(28, 91, 182), *, survey_privacy: str = "team", min_group_size: int = 5
) -> list[FeatureBuilder]:
    """One builder per source, with the given trailing windows.

    ``survey_privacy`` (``team``, ``identified`` or ``off``) and
    ``min_group_size`` go to :class:`SurveyFeatures`; with ``off`` it is left
    out.
    """
    builders: list[FeatureBuilder] = [
        TenureFeatures(windows=windows),
        TeamFeatures(windows=windows),
        HiringFeatures(windows=windows),
        ScheduleFeatures(windows=windows),
        WorkloadFeatures(windows=windows),
        AbsenceFeatures(windows=windows),
        HistoryFeatures(windows=windows, min_group_size=min_group_size),
    ]
    survey = SurveyFeatures(windows=windows, privacy=survey_privacy, min_group_size=min_group_size)
    survey._check_privacy()
    if survey_privacy != "off":
        builders.append(survey)
    return builders


def declared_builders(declarations, windows=(28, 91, 182)) -> list[FeatureBuilder]:
    """One :class:`DeclaredFeatures` per declared table (``{name: TableDeclaration}``)."""
    return [DeclaredFeatures(decl, windows=windows) for decl in (declarations or {}).values()]
