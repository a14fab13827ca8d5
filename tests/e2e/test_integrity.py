"""A large multi-threaded read/write workload crosses the tap and every
byte comes back as written."""
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.parametrize("max_pages", ["8", "256"], ids=["pages8", "pages256"])
def test_threads_read_write_through_tap_keep_every_byte(fusecheck, max_pages):
    r = fusecheck("exec", "--max-pages", max_pages, "--",
                  "/usr/bin/python3", os.path.join(HERE, "workloads", "rw_integrity.py"))
    assert r.code == 0, r
    assert "0 errors" in r.stdout
    assert r.report["scenarios"][0]["status"] == "pass"
    assert r.report["run"]["init"]["max_pages"] == int(max_pages)


def test_writeback_cache_workload_keeps_every_byte(fusecheck):
    r = fusecheck("exec", "--memfs-args", "--writeback", "--",
                  "/usr/bin/python3", os.path.join(HERE, "workloads", "rw_integrity.py"))
    assert r.code == 0, r
    assert "0 errors" in r.stdout
