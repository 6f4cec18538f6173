"""Create .venv with a working pip, using only the standard library.

Debian's python3 ships without ensurepip (that lives in python3-venv), so a plain
``python3 -m venv`` fails on a fresh machine.  When ensurepip is missing we create the
venv without pip and install pip from its wheel on PyPI, checking the wheel's sha256.
"""
import json
import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv

VENV_DIR = sys.argv[1] if len(sys.argv) > 1 else ".venv"
PYPI_JSON = "https://pypi.org/pypi/pip/json"


def venv_python(path):
    return os.path.join(path, "bin", "python")


def have_pip(python):
    return subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0


def install_pip_from_wheel(python):
    with urllib.request.urlopen(PYPI_JSON, timeout=60) as response:
        release = json.load(response)
    wheel = next(f for f in release["urls"] if f["packagetype"] == "bdist_wheel")
    url = urllib.parse.urljoin(PYPI_JSON, wheel["url"])  # mirrors may answer with relative URLs
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        sys.exit("bootstrap_venv: the pip wheel's sha256 does not match PyPI's; not installing it")
    with tempfile.TemporaryDirectory() as tmp:
        wheel_path = os.path.join(tmp, wheel["filename"])
        with open(wheel_path, "wb") as handle:
            handle.write(data)
        # A pip wheel can run itself: python pip.whl/pip install pip.whl
        subprocess.run([python, os.path.join(wheel_path, "pip"), "install", "--quiet", wheel_path], check=True)


def main():
    python = venv_python(VENV_DIR)
    if os.path.exists(python) and have_pip(python):
        return
    try:
        import ensurepip  # noqa: F401

        with_pip = True
    except ImportError:
        with_pip = False
    venv.EnvBuilder(with_pip=with_pip, clear=os.path.exists(VENV_DIR)).create(VENV_DIR)
    if not have_pip(python):
        print("bootstrap_venv: ensurepip is not available; installing pip from PyPI", file=sys.stderr)
        install_pip_from_wheel(python)


if __name__ == "__main__":
    main()
