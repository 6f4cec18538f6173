# smtplearn: two commands for people (`make lab`, `make test`), a few for developers.
# Every target creates or reuses the local .venv; nothing relies on what is installed globally.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PYTEST_ARGS ?=

.PHONY: lab test notebooks bench clean

$(PY):
	$(PYTHON) tools/bootstrap_venv.py $(VENV)

# One stamp per install profile: re-install only when pyproject.toml changes.
$(VENV)/.lab-installed: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[lab]"
	touch $@

$(VENV)/.test-installed: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[lab,test]"
	touch $@

## make lab: set everything up and open the notebooks in JupyterLab
lab: $(VENV)/.lab-installed
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root,)

## make test: set everything up and run the whole suite (unit, property, widget, live, notebook, browser)
test: $(VENV)/.test-installed
	$(PY) -m pytest $(PYTEST_ARGS)

## make notebooks: re-execute every tutorial notebook and store its outputs (for strict nbval)
notebooks: $(VENV)/.test-installed
	$(PY) tools/run_notebooks.py

## make bench: print the benchmark figures (ratios against a baseline measured in the same run)
bench: $(VENV)/.test-installed
	for script in benchmarks/bench_*.py; do $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
