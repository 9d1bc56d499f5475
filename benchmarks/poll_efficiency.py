"""Poll efficiency: detection delay after a job finishes vs requests spent, per policy.

    uv run python benchmarks/poll_efficiency.py [--trials 2000]

For each job duration (spread ±20 %), a job finishing at time D is polled on the policy's schedule
(the façade's own PollPolicy.delay, jitter included); we record how long after D the
first poll sees it done and how many polls it took. Monte Carlo over jitter; no
server is needed because the schedule is the only thing that differs between
policies (each poll is one request, transport retries aside).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys

from _common import emit, md_table

from reportbridge.polling import PollPolicy

POLICIES = {
    "default (1s, x1.5, cap 30s)": PollPolicy(),
    "fixed 1s": PollPolicy(initial=1, backoff=1, cap=1, jitter=0.0),
    "fixed 5s": PollPolicy(initial=5, backoff=1, cap=5, jitter=0.0),
    "fixed 30s": PollPolicy(initial=30, backoff=1, cap=30, jitter=0.0),
    "fast backoff (1s, x2, cap 60s)": PollPolicy(initial=1, backoff=2, cap=60),
}
DURATIONS = [2, 10, 60, 300, 1800, 3600]


def simulate(policy: PollPolicy, duration: float) -> tuple[float, int]:
    t, n = 0.0, 0
    while True:
        n += 1
        t += policy.delay(n)
        if t >= duration:
            return t - duration, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        "command: uv run python benchmarks/poll_efficiency.py "
        f"--trials {args.trials} --seed {args.seed}"
    )
    random.seed(args.seed)  # the policy's jitter draws from the module-level generator
    rows = []
    for name, policy in POLICIES.items():
        for d in DURATIONS:
            # real jobs do not end on a poll boundary: spread each duration by ±20 %
            runs = [simulate(policy, d * random.uniform(0.8, 1.2)) for _ in range(args.trials)]
            lat = statistics.mean(r[0] for r in runs)
            p95 = sorted(r[0] for r in runs)[int(0.95 * len(runs)) - 1]
            polls = statistics.mean(r[1] for r in runs)
            rec = {
                "policy": name,
                "duration_s": d,
                "mean_delay_s": round(lat, 2),
                "p95_delay_s": round(p95, 2),
                "polls": round(polls, 1),
                "delay_pct_of_duration": round(100 * lat / d, 1),
            }
            emit(rec)
            rows.append(
                [
                    name,
                    d,
                    rec["mean_delay_s"],
                    rec["p95_delay_s"],
                    rec["polls"],
                    f"{rec['delay_pct_of_duration']}%",
                ]
            )
    print()
    print(
        md_table(
            ["policy", "job s", "mean detection delay s", "p95 s", "polls", "delay/duration"], rows
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
