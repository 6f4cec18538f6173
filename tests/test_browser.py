"""JupyterLab in a real browser: the widgets work when clicked, and their colours follow the theme.

Starts ``jupyter lab`` from this environment on 127.0.0.1 (a free port, a test-only config: no
token, temporary settings and workspace directories) over a temporary COPY of the notebooks,
and drives Debian's Chromium with Playwright (never a downloaded browser).  Screenshots go to
test-artifacts/.  Skipped only when no Chromium exists at all, and never when CI is set.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SERVER_START_LIMIT = 60  # seconds
STEP_LIMIT = 60_000  # milliseconds, for any single wait in the page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

# Lab settings for the test: no network calls, every cell kept in the DOM, a known theme.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/apputils-extension/themes.jupyterlab-settings": {"theme": "JupyterLab Light"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def chromium_path() -> str | None:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    return found if os.path.exists(found) else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"jupyter lab did not answer at {url} within {SERVER_START_LIMIT} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's own process group (it and its kernels), then SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def require_chromium() -> str:
    """Chromium's path; a clear skip without one, but a failure on CI, which must run this test."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no Chromium was found (.ci/run installs Debian's chromium)")
        pytest.skip("no Chromium found (install Debian's chromium: apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def chromium():
    return require_chromium()


def test_missing_chromium_skips_locally_and_fails_on_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium found"):
        require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        require_chromium()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium):
    """A JupyterLab server over a copy of notebooks/; yields its base URL."""
    home = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", home / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = home / "settings"
    for relative, values in LAB_SETTINGS.items():
        target = settings / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port = free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_PLATFORM_DIRS": "1"}
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={home}",
        "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.terminals_enabled=False",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run menu commands
        "--JupyterNotebookApp.expose_app_in_browser=True",  # the same in Notebook 7
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = home / "server.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(command, cwd=home, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/api/status", process, log)
        yield base
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_LIMIT)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(target, name: str) -> None:
    """Save a screenshot of the page or of one element (a Locator) under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    target.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def run_command(page, command: str, **args) -> None:
    """Run a JupyterLab command (what a menu item runs) in the page's app."""
    known = page.evaluate(
        "([command, args]) => { const commands = window.jupyterapp.commands;"
        " if (!commands.hasCommand(command)) return false;"
        " commands.execute(command, args); return true; }", [command, args])  # not awaited
    assert known, f"JupyterLab has no command {command!r}"


# The notebook panel is open, its document loaded and its kernel connected and idle.
NOTEBOOK_READY = (
    "(name) => { const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
    " if (!panel || !panel.context || !panel.context.isReady || !panel.context.path.endsWith(name)) return false;"
    " const session = panel.sessionContext; if (!session || !session.isReady || !session.session) return false;"
    " const kernel = session.session.kernel;"
    " return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle'; }")


def open_and_run_all(page, base: str, notebook: str, ui: str = "lab") -> None:
    """Open a notebook (in JupyterLab, or with ui='notebook' in Notebook 7), wait for its kernel,
    clear the stored outputs and run every cell."""
    if ui == "lab":
        page.goto(f"{base}/lab/tree/notebooks/{notebook}?reset")  # ?reset: a fresh workspace, one tab
    else:
        page.goto(f"{base}/notebooks/notebooks/{notebook}")
    page.wait_for_function(NOTEBOOK_READY, arg=notebook)
    run_command(page, "notebook:clear-all-cell-outputs")
    page.wait_for_function("() => ![...window.jupyterapp.shell.currentWidget.node"
                           ".querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                           ".some(p => /\\d/.test(p.textContent))")
    assert page.locator(".jp-OutputArea-output").count() == 0, "stored outputs are still shown"
    run_command(page, "notebook:run-all-cells")
    # every code cell numbered again, none still running
    page.wait_for_function(
        "() => { const panel = window.jupyterapp.shell.currentWidget.node;"
        " const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
        " return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)); }",
        timeout=STEP_LIMIT * 2)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()


def theme_colour(page, variable: str) -> str:
    """What the current theme's CSS variable computes to, as 'rgb(...)'."""
    return page.evaluate(
        "(variable) => { const probe = document.createElement('div');"
        " probe.style.color = `var(${variable})`; document.body.appendChild(probe);"
        " const colour = getComputedStyle(probe).color; probe.remove(); return colour; }", variable)


def computed(locator, prop: str) -> str:
    return locator.evaluate(f"(el) => getComputedStyle(el).getPropertyValue('{prop}')")


def test_catalog_card_colours_follow_the_theme(page, lab):
    open_and_run_all(page, lab, "01_reply_anatomy.ipynb")
    card = page.locator(".smtplearn-card.smtplearn-intermediate").first
    card.scroll_into_view_if_needed()
    assert computed(card, "border-left-color") == theme_colour(page, "--jp-info-color1")
    light_text = computed(card, "color")
    assert light_text == theme_colour(page, "--jp-content-font-color1")
    screenshot(page, "01-light")

    run_command(page, "apputils:change-theme", theme="JupyterLab Dark")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    page.locator("#jupyterlab-splash").wait_for(state="detached")
    card.scroll_into_view_if_needed()
    assert computed(card, "border-left-color") == theme_colour(page, "--jp-info-color1")
    dark_text = computed(card, "color")
    assert dark_text == theme_colour(page, "--jp-content-font-color1")
    assert dark_text != light_text, "the card's text colour did not change with the theme"
    screenshot(page, "01-dark")
    run_command(page, "apputils:change-theme", theme="JupyterLab Light")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")


TONE_VARIABLES = {"success": "--jp-success-color1", "intermediate": "--jp-info-color1",
                  "transient": "--jp-warn-color1", "permanent": "--jp-error-color1"}


@pytest.mark.parametrize("ui", ["lab", "notebook"], ids=["jupyterlab4", "notebook7"])
def test_compare_widget_updates_when_a_dropdown_changes(page, lab, ui):
    open_and_run_all(page, lab, "02_positive_vs_negative.ipynb", ui)
    widget = page.locator(".smtplearn-compare").first
    widget.scroll_into_view_if_needed()
    output = widget.locator(".smtplearn-compare-output")
    output.locator(".smtplearn-comparison").wait_for()
    before = output.inner_text()
    assert "211" in before and "504" in before
    # class colours of the two cards come from the theme
    for css, variable in (("success", "--jp-success-color1"), ("permanent", "--jp-error-color1")):
        card = output.locator(f".smtplearn-card.smtplearn-{css}").first
        assert computed(card, "border-left-color") == theme_colour(page, variable)
    screenshot(widget, f"02-compare-before-{ui}")

    second = widget.locator(".smtplearn-compare-second select")
    label = second.locator("option", has_text="214").first.inner_text()
    second.select_option(label=label)
    page.wait_for_function(
        "(el) => el.innerText.includes('214') && !el.innerText.includes('504 Command')",
        arg=output.element_handle())
    after = output.inner_text()
    assert after != before and "211" in after and "214" in after
    assert output.locator(".smtplearn-card.smtplearn-permanent").count() == 0, "504's card is still shown"
    screenshot(widget, f"02-compare-after-{ui}")


def test_quiz_widget_gives_feedback_when_an_answer_is_clicked(page, lab):
    open_and_run_all(page, lab, "04_classroom_quiz.ipynb")
    quiz = page.locator(".smtplearn-quiz").first
    quiz.scroll_into_view_if_needed()
    feedback = quiz.locator(".smtplearn-quiz-feedback")
    assert feedback.inner_text().strip() == ""
    quiz.locator(".smtplearn-quiz-choices input[type='radio']").first.click()
    quiz.locator(".smtplearn-quiz-submit").click()
    message = feedback.locator(".smtplearn-quiz-message")
    message.wait_for()
    assert message.inner_text().strip()
    tone = next(t for t in TONE_VARIABLES if message.evaluate(f"(el) => el.classList.contains('smtplearn-{t}')"))
    assert computed(message, "border-left-color") == theme_colour(page, TONE_VARIABLES[tone])
    assert computed(message, "color") == theme_colour(page, "--jp-content-font-color1")
    assert "1" in quiz.locator(".smtplearn-quiz-score").inner_text()
    screenshot(quiz, "04-quiz-feedback-light")
    light_text = computed(message, "color")

    run_command(page, "apputils:change-theme", theme="JupyterLab Dark")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    page.locator("#jupyterlab-splash").wait_for(state="detached")
    assert computed(message, "border-left-color") == theme_colour(page, TONE_VARIABLES[tone])
    assert computed(message, "color") == theme_colour(page, "--jp-content-font-color1") != light_text
    screenshot(quiz, "04-quiz-feedback-dark")
    run_command(page, "apputils:change-theme", theme="JupyterLab Light")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")
