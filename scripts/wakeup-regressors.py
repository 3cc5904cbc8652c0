#!/usr/bin/env python3
"""Which measure of the host's state does a stack's CPU per request follow?
(docs/host.md, "Do the machine's wake-ups explain the extra CPU?")

  wakeup-regressors.py STORE [REFERENCE_RATE]

For each stack in a live results store whose records carry
cpu.machine_events, the whole stack's CPU per request (each record's scaled
by its reference rate over REFERENCE_RATE, default 0.15; 0 turns the
scaling off) is fitted as a + b x by least squares for each x: the host's
idle share, and the rescheduling and function-call interrupts per request.
Printed per stack and x: a, b and the median |error| of the runs of each
configuration when that configuration is left out of the fit."""
import json
import statistics
import sys
from collections import defaultdict

GROUPS = ["client", "nginx", "app", "pgbouncer", "postgres", "kernel_softirq", "kernel_system"]
REGRESSORS = {
    "idle share": lambda r: 1 - r["cpu"]["machine_busy_s"] / r["cpu"]["machine_total_s"],
    "RES per request": lambda r: r["cpu"]["machine_events"]["per_request"]["rescheduling_ipis"],
    "CAL per request": lambda r: r["cpu"]["machine_events"]["per_request"]["function_call_ipis"],
}


def line(points):
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx > 0 else 0.0
    return my - b * mx, b


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    reference = float(sys.argv[2]) if len(sys.argv) == 3 else 0.15
    runs = defaultdict(list)
    with open(sys.argv[1]) as store:
        for text in store:
            r = json.loads(text)
            if not r["cpu"].get("machine_events", {}).get("measured"):
                continue
            cpu = sum(r["cpu"]["groups"][g]["per_request_us"] for g in GROUPS)
            if reference > 0:
                cpu *= r["host_speed"]["reference_rate_before"] / reference
            c = r["config"]
            runs[c["stack"]].append(((c["clients"], c["sessions"], c["delay_ms"]), r, cpu))
    for stack, rs in sorted(runs.items()):
        print(stack)
        for name, x_of in REGRESSORS.items():
            points = [(x_of(r), cpu) for _, r, cpu in rs]
            errors = []
            for left_out in {cfg for cfg, _, _ in rs}:
                a, b = line([p for p, (cfg, _, _) in zip(points, rs) if cfg != left_out])
                errors += [abs(a + b * x - y) / y
                           for (x, y), (cfg, _, _) in zip(points, rs) if cfg == left_out]
            a, b = line(points)
            print(f"  {name:16} a = {a:6.0f} us  b = {b:8.1f}  left out: median "
                  f"{100 * statistics.median(errors):4.1f}%  max {100 * max(errors):5.1f}%")


if __name__ == "__main__":
    main()
