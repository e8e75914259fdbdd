"""Layer 1, data: the data contract, reading and validating exports, the simulator."""

from attrition.data._declared import DECLARED_KINDS, TableDeclaration, declarations_of
from attrition.data._drift import check_schema, schema_diff, table_schema
from attrition.data._fingerprint import data_fingerprint
from attrition.data._io import atomic_write, write_table, write_text
from attrition.data._loading import (
    Problem,
    load_tables,
    read_roster,
    validate_tables,
)
from attrition.data._privacy import pseudonymise, resolve_salt
from attrition.data._schemas import (
    PROTECTED_COLUMNS,
    SCHEMAS,
    SURVEY_ITEMS,
    table_docs_markdown,
)
from attrition.data._simulate import SimulatedCentre, simulate
from attrition.data._simulate_history import HISTORY_HAZARD, history_effects
from attrition.data._tables import (
    DATE_COLUMNS,
    OPTIONAL_TABLES,
    TABLE_NAMES,
    Tables,
)

__all__ = ["Tables", "TableExtent", "TableDeclaration", "declarations_of", "DECLARED_KINDS", "TABLE_NAMES", "OPTIONAL_TABLES", "DATE_COLUMNS", "SCHEMAS", "PROTECTED_COLUMNS", "SURVEY_ITEMS", "table_docs_markdown", "load_tables", "validate_tables", "read_roster", "Problem", "check_schema", "schema_diff", "table_schema", "data_fingerprint", "pseudonymise", "resolve_salt", "atomic_write", "write_table", "write_text", "SimulatedCentre", "simulate", "HISTORY_HAZARD", "history_effects"]
