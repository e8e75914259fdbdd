"""The report's Jinja2 templates and the small formatting helpers they share with the model card."""

from __future__ import annotations

import functools
import html
import re

import jinja2
from markupsafe import Markup

__all__ = ["render_template", "inline_html", "format_metric"]


# ------------------------------------------------------------------ Markdown
def format_metric(value: float | None, sd: float | None = None, digits: int = 3) -> str:
    """A metric as text, with its standard deviation when given; ``–`` when missing.

    Examples
    --------
    >>> format_metric(0.71234), format_metric(0.7, 0.02, 2), format_metric(None)
    ('0.712', '0.70 ± 0.02', '–')
    """
    if value is None:
        return "–"
    return f"{value:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "")


# ------------------------------------------------------------------ HTML
_INLINE = re.compile(r"\*\*(.+?)\*\*|\*(.+?)\*|`(.+?)`")


def inline_html(text: str) -> str:
    """Escape ``text`` for HTML and turn its ``**bold**``, ``*italic*`` and ```code``` into tags.

    Examples
    --------
    >>> inline_html("**For** <you>: `--model`, *really*")
    '<b>For</b> &lt;you&gt;: <code>--model</code>, <i>really</i>'
    """
    def tag(m: re.Match) -> str:
        bold, italic, code = m.groups()
        if bold is not None:
            return f"<b>{bold}</b>"
        return f"<i>{italic}</i>" if italic is not None else f"<code>{code}</code>"

    return _INLINE.sub(tag, html.escape(str(text)))


# ---------------------------------------------------------------- rendering
def _finalize(value):
    """Escape every printed value with :func:`html.escape` (markup built on purpose passes)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value)))


@functools.cache
def _environment():
    """The Jinja2 environment of the package's templates (autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("attrition.reporting", "templates"),
        autoescape=True,
        # html.escape rather than markupsafe's escape: the same entities as the
        # stdlib ('&#x27;' for a quote), so readers can find any text they escape.
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = lambda text: Markup(inline_html(text))
    env.filters["metric_cells"] = lambda row: [format_metric(v, s, 3)
                                               for v, s in zip(row["values"], row["sd"], strict=True)]
    return env


def render_template(name: str, **context) -> str:
    """Render the package template ``name`` (in ``attrition/reporting/templates``)."""
    return _environment().get_template(name).render(**context)
