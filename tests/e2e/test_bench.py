"""The benchmarks under bench/ run and read what fusecheck writes: they
print figures, never judge them (no timed assertion here), but a bench
that cannot read a current event log measures nothing (suite-time kept
the version-1 log magic after the log went to version 2)."""
import os
import re
import subprocess

from conftest import BUILD, REPO

ENV = dict(os.environ, FUSECHECK_BUILD=BUILD)


def bench(*args, timeout=300):
    return subprocess.run([os.path.join(REPO, "bench", args[0])] +
                          list(args[1:]), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=ENV,
                          timeout=timeout)


def test_suite_time_reads_the_log_of_a_run(fusecheck_bin):
    scns = [os.path.join(REPO, "scenarios", s)
            for s in ("lookup-missing.scn", "create-close-quiesce.scn")]
    p = bench("suite-time", *scns)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^suite-time: 2 scenarios, [\d.]+ s wall \(exit 0\)",
                     p.stdout, re.M), p.stdout
    for name in ("lookup-missing", "create-close-quiesce"):
        assert re.search(r"^%s +[\d.]+s +\d+%%" % name, p.stdout, re.M), \
            p.stdout
    assert "total (in scenarios)" in p.stdout
    # its run's output directory goes with it
    assert not [d for d in os.listdir(os.environ["TMPDIR"])
                if d.startswith("suite-time.")]


def test_replay_bench_prints_both_builds(fusecheck_bin):
    p = bench("replay", "40000", "--baseline", BUILD, "--rounds", "1")
    assert p.returncode == 0, p.stderr
    for log in ("churn zstd", "churn plain", "alive zstd", "alive plain"):
        assert re.search(r"^  %s +\d+ +[\d.]+ +[\d.]+ " % log, p.stdout,
                         re.M), p.stdout
    # bytes per live nodeid, for this build and the baseline, on the
    # alive logs
    assert len(re.findall(r"MB (-?\d+\.\d) ", p.stdout)) == 4, p.stdout
    assert p.stdout.count("baseline; speed x") == 4
    assert "exit 0" in p.stdout
