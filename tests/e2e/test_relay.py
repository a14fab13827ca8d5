"""The relay's settings change how fast it is, never what it sees: a
relay that sleeps at once and one that holds every reply reach the same
verdicts on a part of the bundled suite (a lock scenario's overlaps
among them), and still catch a planted leak."""
import pytest

SUBSET = ("hardlinks,unlink-open-fstat,create-close-quiesce,"
          "rename-over-open-target,readdirplus-pinned,forget-lookup-race,"
          "parallel-unlink-open,lock-dirops-one-dir")


@pytest.mark.parametrize("args", [["--relay-spin-us", "0"],
                                  ["--relay-spin-us", "5000"],
                                  ["--reply-delay-us", "300"]],
                         ids=["asleep-at-once", "long-spin", "held-replies"])
def test_relay_settings_keep_verdicts(fusecheck, args):
    r = fusecheck("run", *args, "--only", SUBSET)
    assert r.code == 0, r
    assert r.report["totals"]["passed"] == len(SUBSET.split(",")), r


@pytest.mark.parametrize("args", [["--relay-spin-us", "0"],
                                  ["--reply-delay-us", "300"]],
                         ids=["asleep-at-once", "held-replies"])
def test_relay_settings_still_catch_a_leak(fusecheck, args):
    r = fusecheck("run", *args, "--memfs-args", "--fault=forget-by-one",
                  "--only", "hardlinks")
    assert r.code == 1, r
    rules = {v["rule"] for s in r.report["scenarios"]
             for v in s["violations"]}
    assert "LC-QUIESCE-BALANCE" in rules or "LF-FS-LEDGER" in rules, r
