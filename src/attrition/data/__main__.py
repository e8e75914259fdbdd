"""``python -m attrition.data > docs/tables.md``: the table docs, generated from the schemas."""

import sys

from attrition.data._schemas import table_docs_markdown

sys.stdout.write(table_docs_markdown())
