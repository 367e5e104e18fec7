"""How fast this machine's CPU is right now: a fixed pure-Python loop, timed in CPU seconds.

    .venv/bin/python bench/machine_speed.py [--repeats 5]

These machines are shared: a fixed loop like this one took 0.69 s of CPU one minute and 1.22 s a
few minutes later (2026-12-01), with nothing else of ours running, so a CPU-time figure (the test
suite's, a benchmark's) is only comparable with another taken at the same machine speed. Run this
before and after a measurement and give both with it (bench/README.md, "The whole test suite").
"""

from __future__ import annotations

import argparse
import statistics
import time

LOOP = 10_000_000


def one_round() -> float:
    started = time.process_time()
    total = 0
    for i in range(LOOP):
        total += i
    assert total == LOOP * (LOOP - 1) // 2
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rounds = [one_round() for _ in range(args.repeats)]
    print(
        f"{LOOP:,}-step loop: median {statistics.median(rounds):.3f} s of CPU "
        f"(min {min(rounds):.3f}, max {max(rounds):.3f}, {args.repeats} rounds)"
    )


if __name__ == "__main__":
    main()
