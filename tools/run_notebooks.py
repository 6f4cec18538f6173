"""Re-execute the tutorial notebooks and store their outputs, so strict nbval can compare them.

Usage (``make notebooks`` runs it for all of them):

    .venv/bin/python tools/run_notebooks.py                 # every notebooks/NN_*.ipynb
    .venv/bin/python tools/run_notebooks.py 02 notebooks/05_live_smtp_session.ipynb

Each notebook runs top to bottom in a fresh kernel of *this* Python (as nbval's
``--nbval-current-env`` does), with the notebooks/ directory as its working directory.  The
saved file keeps no widget state (a widget is stored as its text repr), no timings and no
absolute paths, so a re-run that changes nothing leaves git with nothing to commit.  Any error output stops the script with a message.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# Without stored widget state a widget view can only say "model not found"; its text/plain
# repr (kept) reads better until the student runs the cell.  nbval never compares this type.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT = 120  # seconds; every notebook is meant to run in a few


class CurrentEnvironmentSpecs(KernelSpecManager):
    """A kernel spec that always starts this interpreter, whatever kernels are installed."""

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name=KERNELSPEC["display_name"], language="python",
                          env={"PYDEVD_DISABLE_FILE_VALIDATION": "1"})


def notebook_paths(selected: list[str]) -> list[Path]:
    """The tutorial notebooks, or those named (by path, file name or number such as '02')."""
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not selected:
        return every
    chosen = []
    for name in selected:
        path = Path(name)
        matches = [p for p in every if p.name in (path.name, path.name + ".ipynb") or p.name[:2] == name]
        if len(matches) != 1:
            raise SystemExit(f"run_notebooks: {name!r} names no notebook; choose from "
                             + ", ".join(p.name for p in every))
        chosen.append(matches[0])
    return chosen


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnvironmentSpecs())
    client = NotebookClient(notebook, km=manager, timeout=CELL_TIMEOUT, record_timing=False,
                            store_widget_state=False, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


def sanitize_patterns() -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of notebooks/sanitize.cfg, read as nbval reads them."""
    text = (NOTEBOOKS / "sanitize.cfg").read_text()
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)


def keep_unchanged_outputs(old: nbformat.NotebookNode, new: nbformat.NotebookNode) -> None:
    """Where a cell's new outputs differ from the stored ones only in volatile parts (a port,
    a timestamp), keep the stored ones, so that a re-run leaves git nothing to commit."""
    patterns = sanitize_patterns()

    def masked(outputs) -> str:
        text = json.dumps(outputs, sort_keys=True)
        for regex, replacement in patterns:
            text = re.sub(regex, replacement, text)
        return text

    old_cells = {cell.get("id"): cell for cell in old.cells if cell.cell_type == "code"}
    for cell in new.cells:
        previous = old_cells.get(cell.get("id"))
        if cell.cell_type == "code" and previous is not None and previous.source == cell.source \
                and masked(previous.outputs) == masked(cell.outputs):
            cell.outputs = previous.outputs


def clean(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop everything volatile or machine-specific from the saved file."""
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "text/plain" in data:
                del data[WIDGET_VIEW]
    return notebook


def problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Error outputs and absolute paths: neither may ever be stored."""
    found = []
    text = json.dumps([cell.get("outputs", []) for cell in notebook.cells])
    for marker in {str(ROOT), str(Path.home()), os.getcwd()}:
        if marker not in ("/", "") and marker in text:
            found.append(f"an output contains the absolute path {marker}")
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {number} raised {output.get('ename')}: {output.get('evalue')}")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {number} wrote to stderr: {output.get('text', '')[:200]!r}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all of them)")
    args = parser.parse_args(argv)
    failed = False
    for path in notebook_paths(args.notebooks):
        started = time.perf_counter()
        stored = nbformat.read(path, as_version=4)
        try:
            notebook = clean(execute(path))
        except CellExecutionError as error:
            first_line = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().splitlines()[-1]
            print(f"FAILED {path.name}: {first_line}", file=sys.stderr)
            failed = True
            continue
        found = problems(notebook)
        if found:
            print(f"FAILED {path.name}: " + "; ".join(found), file=sys.stderr)
            failed = True
            continue
        keep_unchanged_outputs(stored, notebook)
        nbformat.validate(notebook)
        nbformat.write(notebook, path)
        print(f"ok {path.relative_to(ROOT)} ({time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
