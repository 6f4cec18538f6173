"""`smtplearn lab` in a subprocess: it prints how to connect, logs exchanges, stops on signals."""

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.live, pytest.mark.timeout(60)]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "smtplearn", "lab", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, **kwargs)


def start(*args):
    process = subprocess.Popen([sys.executable, "-m", "smtplearn", "lab", *args], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Read the banner to its last line here: communicate() later reads the pipe itself and
    # would not see what readline() had buffered.
    banner = []
    for _ in range(20):
        line = process.stdout.readline()  # ends at EOF too
        banner.append(line)
        if not line or "stop with Ctrl-C" in line:
            break
    found = re.search(r"listening on (\S+) port (\d+)", banner[0])
    if not found or "stop with Ctrl-C" not in banner[-1]:
        process.kill()
        pytest.fail(f"no banner: {banner!r} {process.stderr.read()!r}")
    process.banner = "".join(banner)
    return process, found.group(1), int(found.group(2))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serves_logs_and_stops_cleanly_on_a_signal(stop_signal):
    process, host, port = start("--scenario", "greylist", "--port", "0")
    try:
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("a@client.example", ["student@lab.example"], "Subject: x\r\n\r\ny")
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=20)
        out = process.banner + out
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert err == ""
    assert f"telnet {host} {port}" in out and f"swaks --server {host}:{port}" in out
    assert "smtplib.SMTP" in out and "Session(" in out
    assert "S: 451 4.7.1" in out and "C: rcpt TO:<student@lab.example>" in out
    assert "stopped" in out.splitlines()[-1]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=5)


def test_an_open_session_does_not_block_the_stop():
    process, host, port = start("--port", "0", "--greylist-delay", "0")
    raw = socket.create_connection((host, port), timeout=10)
    raw.recv(1024)
    process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert raw.recv(1024).startswith(b"421 4.3.2")
    raw.close()


def test_fixed_port_and_hostname():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    process, host, port = start("--port", str(free), "--hostname", "school.example")
    try:
        assert port == free
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            assert smtp.ehlo()[1].startswith(b"school.example")
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_a_teachers_scenario_file(tmp_path):
    path = tmp_path / "quiet.toml"
    path.write_text('extends = "classic"\ntitle = "Quiet"\n[[rule]]\nwhen = "NOOP"\ncode = 250\n'
                    'enhanced = "2.0.0"\ntext = "shh"\n')
    process, host, port = start("--scenario", str(path), "--port", "0")
    try:
        assert "scenario quiet (Quiet)" in process.banner
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            assert smtp.noop() == (250, b"2.0.0 shh")
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_list_names_every_scenario():
    from smtplearn.lab import scenario_names

    result = run("--list")
    assert result.returncode == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == scenario_names()


@pytest.mark.parametrize("args, words", [
    (["--scenario", "grey"], "no scenario named 'grey'"),
    (["--host", "0.0.0.0"], "--allow-remote"),
    (["--port", "99999"], "port"),
])
def test_bad_input_exits_2_with_one_line(args, words):
    result = run(*args)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_port_in_use_exits_2():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        result = run("--port", str(taken.getsockname()[1]))
    assert result.returncode == 2 and "port=0 picks a free port" in result.stderr
