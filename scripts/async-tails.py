#!/usr/bin/env python3
"""How async workers share connections, live and simulated, and what each
accept policy does to the held-out P99 (docs/validation/async-tails.md).

  served STORE...        live: Pearson's dispersion index of the served
                         counts per worker, per configuration (W >= 2)
  simulated MODEL OUT    the simulator's index and P99/P50 per accept policy
  policies MODEL OUT [ORDER]
                         `stacksim validate --no-run` on the held-out plan
                         with every async stack's policy set to each one
                         (and its worker_order to ORDER, fifo or random)
  in-sample MODEL OUT [ORDER]
                         the same on the plan the model was fitted from
                         (provenance.configurations removed from the
                         copies): what a choice made on the fit sees

The dispersion index D = sum_i (n_i - N/W)^2 / (N/W) / (W - 1): 1 on
average for random placement (the counts are multinomial), 0 for round
robin, near 0 for least loaded; above 1, placement is burstier than random.
Run from the checkout, with build/stacksim built."""
import json
import os
import statistics as st
import subprocess
import sys

POLICIES = ["random", "round_robin", "least_loaded"]
ASYNC = ("coroutine", "greenlet")
PLAN = "calibrate/plans/this-machine-validate.json"
STORES = ["calibrate/data/this-machine-validate.jsonl",
          "calibrate/data/this-machine-validate-rerun.jsonl"]
FIT_PLAN = "calibrate/plans/this-machine-fit.json"
FIT_STORES = ["calibrate/data/this-machine-fit.jsonl"]
SIM_CONFIGS = [(1, 0), (10, 0), (100, 0), (100, 20), (400, 20)]  # clients, delay_ms
SIM_STACKS = ["aiohttp", "uvicorn-fastapi", "gunicorn-gevent-flask"]


def dispersion(counts):
    n, w = sum(counts), len(counts)
    e = n / w
    return sum((c - e) ** 2 / e for c in counts) / (w - 1)


def served(stores):
    rows = {}
    for path in stores:
        for line in open(path):
            r = json.loads(line)
            c = r.get("config", {})
            s = r.get("served")
            if c.get("type") not in ASYNC or not s or c.get("workers", 1) < 2:
                continue
            if r.get("flags", {}).get("foreign_cpu_high"):
                continue
            lat = r["result"]["latency_ms"]
            key = (c["workers"], c["clients"], c["delay_ms"], c["sessions"])
            rows.setdefault(key, []).append(
                (dispersion([w["requests"] for w in s["per_worker"]]),
                 lat["p99"] / max(lat["p50"], 0.5)))
    print("| W | clients | delay ms | sessions | runs | D mean | D median | P99/P50 median |")
    print("|---|---|---|---|---|---|---|---|")
    every = []
    for k in sorted(rows):
        d = [x[0] for x in rows[k]]
        every += d
        print(f"| {k[0]} | {k[1]} | {k[2]:g} | {k[3]} | {len(d)} | {st.mean(d):.1f} | "
              f"{st.median(d):.1f} | {st.median(x[1] for x in rows[k]):.2f} |")
    print(f"| all | | | | {len(every)} | {st.mean(every):.1f} | {st.median(every):.1f} | |")


def model_with(model, policy, out, order="fifo", in_sample=False):
    m = json.load(open(model))
    if in_sample:
        m["provenance"].pop("configurations", None)
    for s in m["stacks"].values():
        if s["type"] in ASYNC:
            s["accept_policy"] = policy
            s["worker_order"] = order
    path = os.path.join(out, f"model-{order}-{policy}{'-in-sample' if in_sample else ''}.json")
    json.dump(m, open(path, "w"), indent=1)
    return path


def stacksim(*args):
    env = dict(os.environ, STACKSIM_HOME=os.getcwd())
    subprocess.run(["./build/stacksim", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def simulated(model, out):
    print("| policy | clients | delay ms | D mean | P99/P50 median |")
    print("|---|---|---|---|---|")
    for p in POLICIES:
        m = model_with(model, p, out)
        for clients, delay in SIM_CONFIGS:
            shard = os.path.join(out, f"sim-{p}-{clients}-{delay}.jsonl")
            if os.path.exists(shard):
                os.remove(shard)
            stacksim("sim", "--model", m, "--scenario", "scenarios/this-machine.json",
                     *sum((["--stack", s] for s in SIM_STACKS), []),
                     "--set", f"clients={clients}", "--set", f"delay_ms={delay}",
                     "--set", "requests=5000", "--set", "warmup_requests=2000",
                     "--set", "replications=40", "--quiet", "--out", shard)
            res = [json.loads(x)["result"] for x in list(open(shard))[1:]]
            d = [dispersion(r["served_per_worker"]) for r in res]
            shape = [r["p99_ms"] / r["p50_ms"] for r in res]
            print(f"| {p} | {clients} | {delay} | {st.mean(d):.2f} | {st.median(shape):.2f} |")


def policies(model, out, order="fifo", in_sample=False):
    plan, stores = (FIT_PLAN, FIT_STORES) if in_sample else (PLAN, STORES)
    print("| worker order | policy | points | W | throughput | P50 | P99 | P99 signed | "
          "P99 at measured speed |")
    print("|---|---|---|---|---|---|---|---|---|")
    per_stack = {}
    for p in POLICIES:
        report = os.path.join(out, f"validate-{order}-{p}{'-in-sample' if in_sample else ''}")
        stacksim("validate", "--model", model_with(model, p, out, order, in_sample),
                 "--plan", plan, "--store", stores[0],
                 *sum((["--also-records", x] for x in stores[1:]), []), "--no-run",
                 "--report", report)
        pts = [x for x in json.load(open(report + ".json"))["points"] if x["type"] in ASYNC]
        for x in pts:
            if x["workers"] >= 2:
                per_stack.setdefault(x["stack"], {}).setdefault(p, []).append(
                    abs(x["p99_ms"]["error"]))
        for label, keep in (("all", lambda x: True), ("2", lambda x: x["workers"] >= 2),
                            ("1", lambda x: x["workers"] == 1)):
            s = [x for x in pts if keep(x)]
            if not s:
                continue
            err = lambda f: st.median(abs(x[f]["error"]) for x in s) * 100
            signed = st.median(x["p99_ms"]["error"] for x in s) * 100
            at_speed = [abs(x["at_measured_speed"]["p99_ms"]["error"]) for x in s
                        if x.get("at_measured_speed")]
            speed = st.median(at_speed) * 100 if at_speed else float("nan")
            print(f"| {order} | {p} | {len(s)} | {label} | {err('throughput_rps'):.1f}% | "
                  f"{err('p50_ms'):.1f}% | {err('p99_ms'):.1f}% | {signed:+.1f}% | {speed:.1f}% |")
    print("\n| stack (W = 2, median absolute P99 error) | " + " | ".join(POLICIES) + " |")
    print("|---" * (len(POLICIES) + 1) + "|")
    for stack, errs in sorted(per_stack.items()):
        print(f"| {stack} | " + " | ".join(f"{st.median(errs[p]) * 100:.1f}%" for p in POLICIES)
              + " |")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "served":
        served(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "simulated":
        os.makedirs(sys.argv[3], exist_ok=True)
        simulated(sys.argv[2], sys.argv[3])
    elif len(sys.argv) in (4, 5) and sys.argv[1] in ("policies", "in-sample"):
        os.makedirs(sys.argv[3], exist_ok=True)
        policies(*sys.argv[2:], in_sample=sys.argv[1] == "in-sample")
    else:
        sys.exit(__doc__)
