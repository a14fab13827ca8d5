"""test_provoke.py - the provocation statements on the bundled memfs: `evict`
drops one cached name and the FORGET follows, `delay` makes the filesystem
see a LOOKUP before the FORGET the kernel sent first, and both are in the
event log where `fusecheck log` shows them."""
import re

HEAD = "# desc: provocation\n# rules: LC-QUIESCE-BALANCE\n# requires: write\n"


def write_scn(tmp_path, name, body):
    path = tmp_path / f"{name}.scn"
    path.write_text(HEAD + body)
    return str(path)


def log_lines(fusecheck, out):
    r = fusecheck("log", str(out / "events.fclog"))
    assert r.code == 0, r
    return r.stdout.splitlines()


def test_evict_sends_the_forget(fusecheck, tmp_path):
    scn = write_scn(tmp_path, "evict", "mkdir d 0755\ncreate d/f 0644\n"
                    "stat d/f ino=@f\noutstanding @f 1\nevict d/f\n"
                    "settle\noutstanding @f 0\n"
                    "evict never/there\nevict d/nothing\n"
                    "quiesce\nbalanced\n")
    r = fusecheck("run", scn)
    assert r.code == 0, r
    lines = log_lines(fusecheck, tmp_path / "out")
    ev = [l for l in lines if " PROVOKE " in l]
    assert len(ev) == 3, ev
    m = re.search(r"line=8 evict parent=(\d+) nodeid=(\d+) name=\"f\" "
                  r"error=0", ev[0])
    assert m and m.group(1) != "0", ev[0]
    nodeid = m.group(2)
    # the kernel answered at once: the FORGET of that nodeid follows
    after = lines[lines.index(ev[0]):]
    assert any(re.search(rf"REQUEST (BATCH_)?FORGET .*({nodeid}:1|"
                         rf"nodeid={nodeid} .*nlookup=1)", l)
               for l in after), after[:20]
    # a directory the wire never named holds nothing: nothing written
    assert 'parent=0 nodeid=0 name="there"' in ev[1], ev[1]
    # a name the kernel does not cache: asked, and it said so
    assert re.search(r'nodeid=0 name="nothing" error=2$', ev[2]), ev[2]


def test_delay_lets_the_lookup_overtake_the_forget(fusecheck, tmp_path):
    scn = write_scn(tmp_path, "delay", "mkdir d 0755\ncreate d/f 0644\n"
                    "stat d/f ino=@f\ndelay FORGET 50\nevict d/f\n"
                    "stat d/f ino=@f\ndelay FORGET 0\nquiesce\nbalanced\n")
    r = fusecheck("run", scn)
    assert r.code == 0, r
    lines = log_lines(fusecheck, tmp_path / "out")
    start = next(i for i, l in enumerate(lines)
                 if "PROVOKE line=8 evict" in l)
    nodeid = re.search(r"nodeid=(\d+)", lines[start]).group(1)
    rest = lines[start:]
    lookup = next(i for i, l in enumerate(rest)
                  if "REQUEST LOOKUP" in l and 'name="f"' in l)
    forget = next(i for i, l in enumerate(rest)
                  if re.search(rf"REQUEST (BATCH_)?FORGET .*({nodeid}:1|"
                               rf"nodeid={nodeid} )", l))
    assert lookup < forget, rest[:30]
    assert any("delay FORGET 50000 us" in l for l in lines)


def test_delay_bad_opcode_is_a_parse_error(fusecheck, tmp_path):
    scn = write_scn(tmp_path, "bad", "delay FORGOT 5\n")
    r = fusecheck("run", scn)
    assert r.code == 2, r
    assert "bad.scn:4:7: unknown or unholdable opcode 'FORGOT'" in r.stderr
