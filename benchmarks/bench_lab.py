"""Messages per second through LabServer, as a ratio to a bare aiosmtpd server (same run).

The baseline is aiosmtpd's own Controller with a handler that accepts every message and does
nothing else.  Both are driven the same way: CLIENTS smtplib sessions in threads, each sending
MESSAGES messages over one connection.  Each server is measured ROUNDS times, alternating,
and the best round counts.  Goal: LabServer >= 0.8x the bare server.

    .venv/bin/python benchmarks/bench_lab.py
"""

from __future__ import annotations

import concurrent.futures
import os
import smtplib
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from aiosmtpd.controller import Controller  # noqa: E402

from smtplearn.lab import LabServer  # noqa: E402

CLIENTS, MESSAGES, ROUNDS = 8, 100, 7
BODY = "Subject: bench\r\nMessage-ID: <{n}@bench.example>\r\n\r\n" + "line of text\r\n" * 20


class NoOpHandler:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_cpu(loop) -> float:
    """CPU seconds the server's event-loop thread has used so far (read in that thread)."""
    answer = concurrent.futures.Future()
    loop.call_soon_threadsafe(lambda: answer.set_result(time.thread_time()))
    return answer.result(10)


def measure(loop, host: str, port: int) -> tuple[float, float]:
    """(messages per second, server CPU microseconds per message)."""
    before = server_cpu(loop)
    rate = drive(host, port)
    return rate, (server_cpu(loop) - before) / (CLIENTS * MESSAGES) * 1e6


def drive(host: str, port: int) -> float:
    """Messages per second for CLIENTS concurrent sessions of MESSAGES messages each."""
    def client(index: int) -> None:
        with smtplib.SMTP(host, port, local_hostname="bench.example", timeout=30) as smtp:
            for m in range(MESSAGES):
                smtp.sendmail("bench@client.example", [f"u{index}@lab.example"],
                              BODY.format(n=index * MESSAGES + m))

    with ThreadPoolExecutor(CLIENTS) as pool:
        started = time.perf_counter()
        list(pool.map(client, range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return CLIENTS * MESSAGES / elapsed


def main() -> int:
    bare = Controller(NoOpHandler(), hostname="127.0.0.1", port=free_port())
    bare.start()
    lab = LabServer("classic", max_messages=CLIENTS * MESSAGES).start()
    try:
        drive("127.0.0.1", bare.port)  # warm up both
        drive(lab.host, lab.port)
        bare_runs, lab_runs = [], []
        lab_loop = lab._controller.loop
        for round_number in range(ROUNDS):  # alternate which goes first
            lab.clear()
            if round_number % 2:
                lab_runs.append(measure(lab_loop, lab.host, lab.port))
            bare_runs.append(measure(bare.loop, "127.0.0.1", bare.port))
            if not round_number % 2:
                lab_runs.append(measure(lab_loop, lab.host, lab.port))
        kept = len(lab.received)
    finally:
        lab.stop()
        bare.stop()
    best_bare, best_lab = max(r for r, _ in bare_runs), max(r for r, _ in lab_runs)
    cpu_bare, cpu_lab = min(c for _, c in bare_runs), min(c for _, c in lab_runs)
    print(f"bench_lab: {CLIENTS} sessions x {MESSAGES} messages, best of {ROUNDS} rounds")
    print(f"  bare aiosmtpd, no-op handler: {best_bare:8.0f} messages/s, "
          f"{cpu_bare:5.0f} us server CPU per message")
    print(f"  LabServer('classic'):          {best_lab:8.0f} messages/s, "
          f"{cpu_lab:5.0f} us server CPU per message "
          f"(kept {kept} messages, logged every exchange)")
    print(f"  ratio LabServer / bare:        {best_lab / best_bare:8.2f}x messages/s "
          f"(goal >= 0.80x); {cpu_bare / cpu_lab:.2f}x by server CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
