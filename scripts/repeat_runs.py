#!/usr/bin/python3
"""repeat_runs.py - run fusecheck on filesystem profiles many times and say
whether the verdicts are stable: a violation that comes and goes between
identical runs is a flaky check (or a racy filesystem), and a contract
violation (LC-, LF-, LK-, PR-) on a filesystem that is correct on the wire
is a false alarm to chase.

usage (root): /usr/bin/python3 scripts/repeat_runs.py [--runs N]
              [--build DIR] [--out DIR] [--only SCN,...] PROFILE...

Per profile it prints the (scenario, rule) pairs seen in every run, those
seen in some runs only (with how many), and the contract-rule pairs
among them.  Exit 0 when every profile's verdicts were the same in every
run, 1 otherwise, 2 when a run could not run.
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTRACT = ("LC-", "LF-", "LK-", "PR-")


def one_run(fusecheck, profile, out, only):
    args = [fusecheck, "run", "--no-color", "--out", out, "--profile",
            profile]
    if only:
        args += ["--only", only]
    proc = subprocess.run(args, capture_output=True, text=True,
                          errors="replace", timeout=1800)
    path = os.path.join(out, "report.json")
    if proc.returncode == 2 or not os.path.exists(path):
        return None, proc
    with open(path) as f:
        report = json.load(f)
    seen = set()
    for s in report["scenarios"]:
        for v in s["violations"]:
            seen.add((s["name"], v["rule"]))
        if s["status"] == "broken":
            seen.add((s["name"], "broken"))
    return seen, proc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--build", default=os.environ.get(
        "FUSECHECK_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--out", default="/tmp/fusecheck-repeat")
    ap.add_argument("--only", default="")
    ap.add_argument("profiles", nargs="+")
    a = ap.parse_args()
    fusecheck = os.path.join(a.build, "harness", "fusecheck")
    code = 0
    for p in a.profiles:
        counts = {}
        for k in range(a.runs):
            out = os.path.join(a.out, os.path.basename(p), str(k + 1))
            os.makedirs(out, exist_ok=True)
            seen, proc = one_run(fusecheck, p, out, a.only)
            if seen is None:
                print(f"{p}: run {k + 1} could not run: "
                      f"{proc.stderr.strip().splitlines()[-1:]}")
                return 2
            for pair in seen:
                counts[pair] = counts.get(pair, 0) + 1
        always = sorted(x for x, n in counts.items() if n == a.runs)
        some = sorted((x, n) for x, n in counts.items() if n < a.runs)
        contract = sorted(x for x in counts if x[1].startswith(CONTRACT))
        print(f"{p}: {a.runs} runs; every run: "
              f"{', '.join(f'{s}/{r}' for s, r in always) or 'nothing'}")
        if some:
            code = 1
            print(f"  FLAKY: " + ", ".join(f"{s}/{r} in {n} of {a.runs}"
                                           for (s, r), n in some))
        if contract:
            print(f"  contract rules: "
                  + ", ".join(f"{s}/{r}" for s, r in contract))
        sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
