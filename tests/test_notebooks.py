"""Every notebook in notebooks/ runs top to bottom, warns about nothing, uses the public API only,
and the numbers its text states in bold are the ones its cells print."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: A number (or code such as a team id) stated in bold in a markdown cell: **0.76**, **8.6%**, **T018**.
STATED = re.compile(r"\*\*([^*\s]*\d[^*\s]*)\*\*")
#: Private names: a module or attribute starting with one underscore (not dunders).
PRIVATE = re.compile(r"\._[A-Za-z]")


def stated_numbers(nb) -> list[str]:
    """The bold numbers of the notebook's markdown cells.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("ROC AUC **0.76**, **bold** words")])
    >>> stated_numbers(nb)
    ['0.76']
    """
    return [m for cell in nb.cells if cell.cell_type == "markdown" for m in STATED.findall(cell.source)]


def printed_text(nb) -> str:
    """Everything the executed notebook's code cells printed or displayed as text."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.output_type == "stream":
                out.append(o.text)
            elif "data" in o:
                out.append(o["data"].get("text/plain", ""))
            elif o.output_type == "error":
                out.append(f"{o.ename}: {o.evalue}")
    return "\n".join(out)


def test_stated_numbers_are_found_only_as_whole_numbers():
    text = "ROC AUC 0.764, tenure 0.59; 292 people"
    assert _printed(text, "0.59") and _printed(text, "292")
    assert not _printed(text, "0.76") and not _printed(text, "29")


def _printed(text: str, number: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(number)}(?![\w]|\.\d)", text) is not None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_public_api_only(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not PRIVATE.search(cell.source), f"{path.name}: private name in\n{cell.source}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), \
        "commit notebooks without outputs"
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    stderr = [o.text for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
              if o.output_type == "stream" and o.name == "stderr"]
    text = printed_text(nb)
    assert not re.search(r"warning", "\n".join(stderr) + text, re.IGNORECASE), \
        f"{path.name} warns:\n" + "\n".join(stderr)[-3000:]
    missing = [n for n in stated_numbers(nb) if not _printed(text, n)]
    assert not missing, f"{path.name} states {missing} in its text, but its cells print:\n{text[-4000:]}"


def test_there_are_notebooks():
    assert NOTEBOOKS
