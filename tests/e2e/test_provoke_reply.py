"""`delay-reply OPCODE MS` holds the replies to one opcode in the tap: the
kernel gets each at least MS after the filesystem sent it (a lower bound
the tap guarantees, not a speed), other opcodes' replies are not held,
and the verdicts stay."""
import struct

REC = struct.Struct("<QQIIII")    # seq time_ns kind tid len orig_len
IN_HDR = struct.Struct("<IIQQIIII")   # fuse_in_header
OUT_HDR = struct.Struct("<IiQ")       # fuse_out_header
REQUEST, REPLY = 1, 2
LOOKUP, MKDIR = 1, 9


def wire(path):
    """(kind, time_ns, unique, opcode or None, name) of each wire event of
    a plain log"""
    data = open(path, "rb").read()
    assert data[:8] in (b"FCLOG\0\0\1", b"FCLOG\0\0\2")
    off, out = 8, []
    while off + REC.size <= len(data):
        seq, t, kind, tid, ln, orig = REC.unpack_from(data, off)
        body = data[off + REC.size: off + REC.size + ln]
        off += REC.size + ((ln + 7) & ~7)
        if kind == REQUEST and ln >= IN_HDR.size:
            _, op, unique = IN_HDR.unpack_from(body)[:3]
            name = body[IN_HDR.size:].split(b"\0")[0]
            out.append((kind, t, unique, op, name))
        elif kind == REPLY and ln >= OUT_HDR.size:
            out.append((kind, t, OUT_HDR.unpack_from(body)[2], None, b""))
    return out


def scenario(tmp_path, body):
    p = tmp_path / "held.scn"
    p.write_text("# desc: held replies\n# rules: LC-QUIESCE-BALANCE\n"
                 "# requires: write\n\n" + body)
    return str(p)


def held_ms(events, opcode, name):
    """milliseconds from the request of opcode for name to its reply"""
    at = [i for i, e in enumerate(events) if e[0] == REQUEST and
          e[3] == opcode and e[4] == name]
    assert at, (opcode, name)
    req = events[at[0]]
    # uniques start again with each connection: the reply after it
    rep = [e for e in events[at[0]:] if e[0] == REPLY and e[2] == req[2]]
    assert rep, (opcode, name)
    return (rep[0][1] - req[1]) / 1e6


def test_delay_reply_holds_that_opcode(fusecheck, tmp_path):
    scn = scenario(tmp_path, "mkdir d 0755\ndelay-reply LOOKUP 300\n"
                   "expect ENOENT stat d/missing\nmkdir d/e 0755\n"
                   "delay-reply LOOKUP 0\nquiesce\nbalanced\n")
    r = fusecheck("run", "--plain-log", scn)
    assert r.code == 0, r
    ev = wire(r.out_dir + "/events.fclog")
    assert held_ms(ev, LOOKUP, b"missing") >= 300
    log = fusecheck("log", r.out_dir + "/events.fclog").stdout
    assert "delay-reply LOOKUP 300000 us" in log


def test_delay_reply_refuses_an_opcode_without_reply(fusecheck, tmp_path):
    r = fusecheck("run", scenario(tmp_path, "delay-reply FORGET 5\n"))
    assert r.code == 2, r
    assert "FORGET has no reply to hold" in r.stderr, r
