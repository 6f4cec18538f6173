"""Messages per second through LabServer, as a ratio to a bare aiosmtpd server (same run).

The baseline is aiosmtpd's own Controller with a handler that accepts every message and does
nothing else.  Each server runs in a process of its own (so the clients' threads do not share
its GIL) and all are driven the same way: CLIENTS smtplib sessions in threads of this process,
each sending MESSAGES messages over one connection.  Server CPU per message is read from /proc.

A round measures every server once, back to back, in a rotating order; the ratio of each round
is taken, and the median over ROUNDS rounds is the figure (a shared machine's speed drifts
between rounds, so the best rate of one server and the best of the other may come from
different conditions; the best rates are printed too).  Goal: LabServer >= 0.8x the bare server.

A third server shows what the lab's own work costs: LabServer with aiosmtpd's original
``_getaddr`` put back (LabSMTP overrides it with an equivalent that skips a class definition
per call; see smtplearn/lab/server.py).

    .venv/bin/python benchmarks/bench_lab.py
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from statistics import median

CLIENTS, MESSAGES, ROUNDS = 8, 100, 11
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
from smtplearn.lab import LabServer, server as lab_server
%s
server = LabServer("classic", max_messages=%d).start()
print(server.port, flush=True); sys.stdin.read(); server.stop()
"""
ROOM = (ROUNDS + 2) * CLIENTS * MESSAGES  # room for every message of the run
SERVERS = {  # name: the code of its process
    "bare aiosmtpd, no-op handler": BARE_SERVER,
    "LabServer('classic')": LAB_SERVER % ("", ROOM),
    "  ... with aiosmtpd's _getaddr": LAB_SERVER % ("del lab_server.LabSMTP._getaddr", ROOM),
}


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
    names = list(SERVERS)
    processes = {name: ServerProcess(code) for name, code in SERVERS.items()}
    runs = {name: [] for name in names}
    try:
        for name in names:  # warm up every server
            drive(processes[name].port)
        for round_number in range(ROUNDS):  # rotate which goes first
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                runs[name].append(measure(processes[name]))
    finally:
        for process in processes.values():
            process.close()
    bare = names[0]
    print(f"bench_lab: {CLIENTS} sessions x {MESSAGES} messages, {ROUNDS} rounds, "
          f"each server in its own process")
    print(f"  {'server':32} {'best msg/s':>10} {'median':>8} {'CPU us/msg':>10} "
          f"{'ratio msg/s (median, range)':>30} {'ratio by CPU':>13}")
    for name in names:
        rates, cpus = [r for r, _ in runs[name]], [c for _, c in runs[name]]
        line = f"  {name:32} {max(rates):10.0f} {median(rates):8.0f} {median(cpus):10.0f}"
        if name != bare:
            ratios = [r / b for (r, _), (b, _) in zip(runs[name], runs[bare])]
            cpu_ratios = [b / c for (_, c), (_, b) in zip(runs[name], runs[bare])]
            line += (f" {median(ratios):14.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
                     f" {median(cpu_ratios):12.2f}x")
        print(line)
    print("  goal: LabServer('classic') >= 0.80x the bare server's messages/s "
          "(LabServer keeps every message and logs every exchange)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
