"""Binder and classroom set-up: environment.yml agrees with pyproject.toml; README links work."""

import os
import re
import tomllib
from importlib import metadata
from urllib.parse import unquote

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import NOTEBOOKS, ROOT

# Packages the Binder environment needs besides the runtime dependencies.
ENVIRONMENT_EXTRAS = {"python", "pip", "jupyterlab", "ipykernel"}


def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]


def environment():
    with open(ROOT / "environment.yml") as handle:
        return yaml.safe_load(handle)


def conda_pins():
    """{name: version or ''} from environment.yml's conda dependencies ('pandas=3.1' -> '3.1')."""
    pins = {}
    for entry in environment()["dependencies"]:
        assert isinstance(entry, str), "keep every dependency a conda package (no pip: section)"
        name, _, version = entry.partition("=")
        pins[name.strip().lower()] = version.strip("=").strip()
    return pins


def series_matches(installed: str, pin: str) -> bool:
    """Whether an installed version belongs to a conda pin such as '3.1' (= 3.1.*) or '3.11.7'."""
    return Version(installed).release[:len(Version(pin).release)] == Version(pin).release


def test_conda_forge_only():
    channels = environment()["channels"]
    assert channels[0] == "conda-forge" and set(channels) <= {"conda-forge", "nodefaults"}


def test_python_is_pinned_exactly_to_the_version_that_wrote_the_outputs():
    pin = conda_pins()["python"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pin), f"python={pin} is not an exact pin"
    assert Version(pin) in Requirement(f"python{pyproject()['requires-python']}").specifier
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        written_by = nbformat.read(path, as_version=4).metadata.get("language_info", {}).get("version")
        assert written_by == pin, f"{path.name} was written by Python {written_by}, environment.yml pins {pin}"


def test_same_runtime_dependencies_at_compatible_versions():
    pins = conda_pins()
    runtime = {Requirement(r).name.lower(): Requirement(r) for r in pyproject()["dependencies"]}
    assert set(pins) == set(runtime) | ENVIRONMENT_EXTRAS, (
        f"environment.yml has {sorted(set(pins) - set(runtime) - ENVIRONMENT_EXTRAS)} extra, "
        f"misses {sorted(set(runtime) | ENVIRONMENT_EXTRAS - set(pins))}")
    lab = [Requirement(r) for r in pyproject()["optional-dependencies"]["lab"]]
    for name, requirement in [*runtime.items(), *((r.name.lower(), r) for r in lab)]:
        pin = pins[name]
        assert pin, f"environment.yml must pin {name} to the series that wrote the outputs"
        installed = metadata.version(name)
        assert Version(installed) in requirement.specifier, f"{name} {installed} breaks pyproject's {requirement}"
        assert series_matches(installed, pin), (
            f"the notebooks' outputs were written with {name} {installed}; environment.yml pins {pin}")


def test_postbuild_installs_the_package_without_touching_the_environment():
    post_build = ROOT / "postBuild"
    assert os.access(post_build, os.X_OK), "postBuild must be executable"
    text = post_build.read_text()
    assert text.startswith("#!")
    assert re.search(r"pip install --no-deps \.(\s|$)", text)


def readme():
    return (ROOT / "README.md").read_text()


def linked_notebooks():
    """Every notebook the README links to: Binder urlpaths, nbgitpuller urlpaths, relative links."""
    text = unquote(readme())
    links = set(re.findall(r"urlpath=lab/tree/(?:smtplearn/)?(notebooks/[^\s&)\"']+\.ipynb)", text))
    links |= set(re.findall(r"\]\((notebooks/[^)\s]+\.ipynb)\)", text))
    return links


def test_every_linked_notebook_exists():
    links = linked_notebooks()
    assert links, "the README links to no notebook"
    missing = sorted(link for link in links if not (ROOT / link).is_file())
    assert not missing, f"README links to missing notebooks: {missing}"


def test_every_notebook_has_a_binder_launch_link():
    section = readme().split("## Notebooks", 1)[1]
    assert "https://mybinder.org/badge_logo.svg" in section
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        assert f"?urlpath=lab/tree/notebooks/{path.name}" in section, f"no Binder link for {path.name}"


def test_teachers_section_covers_hub_tags_reset_and_regeneration():
    section = readme().split("### For teachers", 1)[1].split("\n## ", 1)[0]
    assert "/hub/user-redirect/git-pull?repo=" in section
    assert re.search(r"mybinder\.org/v2/gh/OWNER/smtplearn/v\d+\.\d+\.\d+\?urlpath=", section)
    assert "make notebooks" in section and "Reset" in section


@pytest.mark.parametrize("link", sorted(linked_notebooks()))
def test_linked_notebook_is_a_tutorial(link):
    assert re.fullmatch(r"notebooks/\d\d_[a-z0-9_]+\.ipynb", link)


def test_constraints_pin_the_same_series_as_environment_yml():
    """`make test` installs with constraints.txt, Binder with environment.yml: the same series."""
    constraints = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            constraints[requirement.name.lower()] = str(requirement.specifier)
    pins = conda_pins()
    for name, specifier in constraints.items():
        assert specifier == f"=={pins[name]}.*", (name, specifier, pins[name])
    runtime = {Requirement(r).name.lower() for r in pyproject()["dependencies"]}
    lab = {Requirement(r).name.lower() for r in pyproject()["optional-dependencies"]["lab"]}
    assert set(constraints) == runtime | lab
