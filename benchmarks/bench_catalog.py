"""Catalog speed: the cost of `import smtplearn`, and of `lookup()`, against stdlib baselines.

Prints ratios measured in the same run (goals from issue #2):
- `import smtplearn` whole-process time / `python -c pass`        (goal <= 1.5x)
- `lookup()` per call / `http.HTTPStatus(...)` per call            (goal <= 3x)
Run: .venv/bin/python benchmarks/bench_catalog.py
"""

import statistics
import subprocess
import sys
import time
import timeit


def process_seconds(code: str, runs: int = 30) -> float:
    """Median wall time of a fresh interpreter running `code`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_call(statement: str, setup: str, number: int = 200_000) -> float:
    """Best-of-five seconds per execution of `statement`."""
    return min(timeit.repeat(statement, setup, number=number, repeat=5)) / number


def main() -> None:
    process_seconds("pass", runs=3)  # warm the file cache
    baseline = process_seconds("pass")
    ours = process_seconds("import smtplearn")
    first_lookup = process_seconds("import smtplearn; smtplearn.lookup(250)")
    print(f"python -c pass                 {baseline * 1000:7.1f} ms")
    print(f"import smtplearn               {ours * 1000:7.1f} ms   ratio {ours / baseline:.2f}x (goal <= 1.5x)")
    print(f"import + first lookup (loads data) {first_lookup * 1000:5.1f} ms   ratio {first_lookup / baseline:.2f}x")

    http = per_call("HTTPStatus(404)", "from http import HTTPStatus")
    setup = "import smtplearn; smtplearn.lookup(250)"
    for label, statement in (("lookup(550)", "lookup(550)"), ("lookup('550')", "lookup('550')"),
                             ("lookup('5.1.1')", "lookup('5.1.1')")):
        seconds = per_call(statement, setup + "; lookup = smtplearn.lookup")
        print(f"{label:<16} {seconds * 1e9:7.0f} ns/call   ratio {seconds / http:.2f}x "
              f"vs HTTPStatus(404) {http * 1e9:.0f} ns (goal <= 3x)")
    slow = per_call("lookup(' 550 ')", setup + "; lookup = smtplearn.lookup", number=50_000)
    print(f"lookup(' 550 ') (normalised) {slow * 1e9:5.0f} ns/call   ratio {slow / http:.2f}x")


if __name__ == "__main__":
    main()
