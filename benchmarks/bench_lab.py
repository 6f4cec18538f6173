"""Messages per second through LabServer, as a ratio to a bare aiosmtpd server (same run).

The baseline is aiosmtpd's own Controller with a handler that accepts every message and does
nothing else.  Each server runs in a process of its own (so the clients' threads do not share
its GIL) and both are driven the same way: CLIENTS smtplib sessions in threads of this process,
each sending MESSAGES messages over one connection.  The servers are measured ROUNDS times,
alternating, and the best round counts; server CPU per message is read from /proc.
Goal: LabServer >= 0.8x the bare server.

    .venv/bin/python benchmarks/bench_lab.py
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

CLIENTS, MESSAGES, ROUNDS = 8, 100, 7
BODY = "Subject: bench\r\nMessage-ID: <{n}@bench.example>\r\n\r\n" + "line of text\r\n" * 20
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each server process prints its port, then serves until its stdin closes.
BARE_SERVER = """
import socket, sys
from aiosmtpd.controller import Controller
class NoOpHandler:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
controller = Controller(NoOpHandler(), hostname="127.0.0.1", port=port); controller.start()
print(port, flush=True); sys.stdin.read(); controller.stop()
"""
LAB_SERVER = """
import sys
from smtplearn.lab import LabServer
server = LabServer("classic", max_messages=%d).start()
print(server.port, flush=True); sys.stdin.read(); server.stop()
""" % ((ROUNDS + 1) * CLIENTS * MESSAGES)  # room for every message of the run


class ServerProcess:
    def __init__(self, code: str):
        self.process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.port = int(self.process.stdout.readline())

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def measure(server: ServerProcess) -> tuple[float, float]:
    """(messages per second, server CPU microseconds per message)."""
    before = server.cpu_seconds()
    rate = drive(server.port)
    return rate, (server.cpu_seconds() - before) / (CLIENTS * MESSAGES) * 1e6


def drive(port: int) -> float:
    """Messages per second for CLIENTS concurrent sessions of MESSAGES messages each."""
    def client(index: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.example", timeout=30) as smtp:
            for m in range(MESSAGES):
                smtp.sendmail("bench@client.example", [f"u{index}@lab.example"],
                              BODY.format(n=index * MESSAGES + m))

    with ThreadPoolExecutor(CLIENTS) as pool:
        started = time.perf_counter()
        list(pool.map(client, range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return CLIENTS * MESSAGES / elapsed


def main() -> int:
    bare, lab = ServerProcess(BARE_SERVER), ServerProcess(LAB_SERVER)
    try:
        drive(bare.port)  # warm up both
        drive(lab.port)
        bare_runs, lab_runs = [], []
        for round_number in range(ROUNDS):  # alternate which goes first
            if round_number % 2:
                lab_runs.append(measure(lab))
            bare_runs.append(measure(bare))
            if not round_number % 2:
                lab_runs.append(measure(lab))
    finally:
        lab.close()
        bare.close()
    best_bare, best_lab = max(r for r, _ in bare_runs), max(r for r, _ in lab_runs)
    cpu_bare, cpu_lab = min(c for _, c in bare_runs), min(c for _, c in lab_runs)
    print(f"bench_lab: {CLIENTS} sessions x {MESSAGES} messages, best of {ROUNDS} rounds, "
          f"each server in its own process")
    print(f"  bare aiosmtpd, no-op handler: {best_bare:8.0f} messages/s, "
          f"{cpu_bare:5.0f} us server CPU per message")
    print(f"  LabServer('classic'):          {best_lab:8.0f} messages/s, "
          f"{cpu_lab:5.0f} us server CPU per message (keeps every message, logs every exchange)")
    print(f"  ratio LabServer / bare:        {best_lab / best_bare:8.2f}x messages/s "
          f"(goal >= 0.80x); {cpu_bare / cpu_lab:.2f}x by server CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
