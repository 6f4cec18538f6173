"""Guards on the stored tutorial notebooks (nbval itself re-runs them and compares the outputs).

Saved executed, top to bottom, in one fresh kernel; no errors, no widget state, no absolute
paths; only the public API; every exercise shown and checked; a learning-objectives section
and a summary in each.
"""

import ast
import json
import re

import nbformat
import pytest

import smtplearn
from smtplearn.exercises import exercises_for

from conftest import NOTEBOOKS

EXPECTED = [
    "01_reply_anatomy", "02_positive_vs_negative", "03_catalog_with_pandas",
    "04_classroom_quiz", "05_live_smtp_session", "06_enhanced_codes_and_bounces",
]
# Public modules a notebook may import from, besides the top-level package.
PUBLIC_MODULES = {"smtplearn", "smtplearn.exercises", "smtplearn.widgets", "smtplearn.lab"}
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/work/|/home/|/root/|/tmp/|/usr/|/opt/|[A-Z]:\\\\)")
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@pytest.fixture(params=PATHS, ids=[p.stem for p in PATHS])
def notebook(request):
    return request.param.stem, read(request.param)


def test_every_tutorial_notebook_is_there():
    assert [p.stem for p in PATHS] == EXPECTED


def test_valid_and_executed_top_to_bottom_in_one_kernel(notebook):
    name, nb = notebook
    nbformat.validate(nb)
    counts = [cell.execution_count for cell in code_cells(nb)]
    assert None not in counts, f"{name}: cells {[i for i, c in enumerate(counts) if c is None]} never ran"
    assert counts == list(range(1, len(counts) + 1)), f"{name}: not run top to bottom in one kernel"
    assert nb.metadata.kernelspec.name == "python3"


def test_no_errors_or_warnings_stored(notebook):
    name, nb = notebook
    for index, cell in enumerate(code_cells(nb)):
        for output in cell.outputs:
            assert output.output_type != "error", f"{name} cell {index}: {output.get('ename')}"
            assert not (output.output_type == "stream" and output.name == "stderr"), (
                f"{name} cell {index} wrote to stderr: {output.text[:200]}")


def test_no_widget_state_timings_or_absolute_paths(notebook):
    name, nb = notebook
    assert "widgets" not in nb.metadata, f"{name} stores widget state"
    for cell in code_cells(nb):
        for output in cell.outputs:
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {}), (
                f"{name} stores a widget view that can only show 'model not found': {cell.source[:60]}")
    for cell in nb.cells:
        assert "execution" not in cell.metadata, f"{name} stores cell timings"
    stored = json.dumps(nb)
    match = ABSOLUTE_PATH.search(stored)
    assert match is None, f"{name} stores an absolute path: ...{stored[max(0, match.start() - 60):match.end() + 60]}..."


def test_only_the_public_api(notebook):
    name, nb = notebook
    public = set(smtplearn.__all__)
    for cell in code_cells(nb):
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("smtplearn"):
                assert node.module in PUBLIC_MODULES, f"{name} imports from {node.module}"
                if node.module == "smtplearn":
                    assert {a.name for a in node.names} <= public, f"{name}: {ast.unparse(node)}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("smtplearn"):
                        assert alias.name in PUBLIC_MODULES, f"{name} imports {alias.name}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "smtplearn":
                assert node.attr in public or f"smtplearn.{node.attr}" in PUBLIC_MODULES, (
                    f"{name} uses smtplearn.{node.attr}, which is not public")
            if isinstance(node, ast.Attribute):
                assert not node.attr.startswith("_") or node.attr.startswith("__"), (
                    f"{name} touches a private attribute: {ast.unparse(node)}")


def test_no_placeholder_text_stored(notebook):
    name, nb = notebook
    assert "TODO" not in json.dumps([cell.get("outputs", []) for cell in nb.cells]), (
        f"{name} shows placeholder prose: run `make notebooks` once the data is final")


def test_outputs_are_deterministic_by_design(notebook):
    """No callback output tricks: no top-level `with out:` and no clear_output in checked cells."""
    name, nb = notebook
    for cell in code_cells(nb):
        tree = ast.parse(cell.source)
        for node in tree.body:
            if isinstance(node, ast.With):
                for item in node.items:
                    assert not isinstance(item.context_expr, (ast.Name, ast.Attribute)), (
                        f"{name}: top-level `with {ast.unparse(item.context_expr)}:` captures output")
        assert "clear_output" not in cell.source, f"{name} calls clear_output"
        assert not re.search(r"\b(random\.(random|choice|shuffle)|time\.time|datetime\.now)\(", cell.source), (
            f"{name} has an unseeded or time-dependent cell: {cell.source[:80]}")


def test_objectives_exercises_and_summary(notebook):
    name, nb = notebook
    markdown = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    code = "\n".join(cell.source for cell in code_cells(nb))
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "After this notebook you can" in nb.cells[0].source, f"{name} states no learning objectives"
    assert "## Summary" in markdown, f"{name} has no summary"
    assert f'exercises_for("{name}")' in code
    for q in exercises_for(name):
        assert re.search(rf"^{q.name}$", code, re.MULTILINE), f"{name} never shows {q.name}"
        assert f"{q.name}.check(" in code, f"{name} never checks {q.name}"


def test_exercise_cells_are_left_for_the_student(notebook):
    """The stored notebook shows the unanswered state: the answers are not given away."""
    name, nb = notebook
    for cell in code_cells(nb):
        if re.search(r"\bq\d+\.check\(", cell.source):
            assert "answer = ..." in cell.source, f"{name}: an exercise cell is pre-filled: {cell.source}"
            texts = [o.get("data", {}).get("text/plain", "") for o in cell.outputs]
            assert any(t.startswith("Not answered") for t in texts), f"{name}: {texts}"


def test_links_between_notebooks_exist(notebook):
    name, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for target in re.findall(r"\]\(([^)#\s]+\.ipynb)\)", cell.source):
                assert (NOTEBOOKS / target).is_file(), f"{name} links to a missing {target}"


def test_cell_ids_are_stable_and_unique(notebook):
    name, nb = notebook
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"\d\d-\d{3}", cell_id) for cell_id in ids), f"{name}: {ids[:3]}"


def load_runner():
    """tools/run_notebooks.py, imported by path (tools/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_notebooks", NOTEBOOKS.parent / "tools" / "run_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_runner_strips_widget_state_and_timings():
    runner = load_runner()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["kernelspec"] = {"name": "something-local", "display_name": "x", "language": "python"}
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    view = nbformat.v4.new_output("display_data", data={
        "text/plain": "CompareWidget(211 vs 504)",
        "application/vnd.jupyter.widget-view+json": {"model_id": "0123abcd", "version_major": 2}})
    nb.cells[0].outputs = [view]
    cleaned = runner.clean(nb)
    assert cleaned.cells[0].outputs[0].data == {"text/plain": "CompareWidget(211 vs 504)"}
    assert "widgets" not in cleaned.metadata and "execution" not in cleaned.cells[0].metadata
    assert cleaned.metadata["kernelspec"]["name"] == "python3"


def test_runner_refuses_errors_stderr_and_absolute_paths():
    runner = load_runner()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[]),
        nbformat.v4.new_output("stream", name="stderr", text="warning"),
        nbformat.v4.new_output("stream", name="stdout", text=f"saved to {runner.ROOT}/results.csv"),
    ]
    found = " | ".join(runner.problems(nbformat.v4.new_notebook(cells=[cell])))
    assert "ValueError" in found and "stderr" in found and "absolute path" in found
    assert runner.problems(read(PATHS[0])) == []


def test_runner_names_notebooks_by_number_or_file():
    runner = load_runner()
    assert [p.name for p in runner.notebook_paths(["02", "01_reply_anatomy.ipynb"])] == [
        "02_positive_vs_negative.ipynb", "01_reply_anatomy.ipynb"]
    with pytest.raises(SystemExit, match="names no notebook"):
        runner.notebook_paths(["99"])


def test_runner_keeps_stored_outputs_that_differ_only_in_volatile_parts():
    runner = load_runner()

    def notebook_printing(text):
        cell = nbformat.v4.new_code_cell("print(server)")
        cell.id = "05-001"
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        return nbformat.v4.new_notebook(cells=[cell])

    stored = notebook_printing("listening on 127.0.0.1:40001\n")
    rerun = notebook_printing("listening on 127.0.0.1:51234\n")
    runner.keep_unchanged_outputs(stored, rerun)
    assert rerun.cells[0].outputs[0].text == "listening on 127.0.0.1:40001\n"
    changed = notebook_printing("refused on 127.0.0.1:51234\n")
    runner.keep_unchanged_outputs(stored, changed)
    assert changed.cells[0].outputs[0].text == "refused on 127.0.0.1:51234\n"
