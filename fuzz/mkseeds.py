#!/usr/bin/python3
"""mkseeds.py - cut fuzz seeds out of real event logs (events.fclog).

usage: fuzz/mkseeds.py OUTDIR LOG...

Writes OUTDIR/proto/: for each kind of wire message (request opcode,
reply to an opcode, notify code) the smallest one seen, framed as
fuzz_proto reads it (opcode byte, options byte, message); and
OUTDIR/evlog/: the first log's head and its records around each scenario,
framed as fuzz_evlog reads it (byte 0 = 1: magic prepended).
The log format is in docs/report.md ("Event log").
"""
import os
import struct
import sys

MAGIC = b"FCLOG\0\0\1"
REC = struct.Struct("=QQIIII")
REQUEST, REPLY, NOTIFY, SCENARIO = 1, 2, 3, 7
READDIR, READDIRPLUS = 28, 44
EVLOG_MAX = 4096  # bytes per evlog seed: keep the fuzzer fast


def records(path):
    """Yield (raw record bytes, kind, payload) for each record."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        sys.exit(f"{path}: not an event log")
    off = 8
    while off + REC.size <= len(data):
        _seq, _t, kind, _tid, ln, _orig = REC.unpack_from(data, off)
        end = off + REC.size + ((ln + 7) & ~7)
        yield data[off:end], kind, data[off + REC.size:off + REC.size + ln]
        off = end


def better(key, new, old):
    """The smallest message, but the largest directory listing that is
    still small (the smallest is the empty one at the end)."""
    if key in (("reply", READDIR), ("reply", READDIRPLUS)):
        return len(old) < len(new) <= 1024
    return len(new) < len(old)


def proto_seeds(logs):
    best = {}
    for path in logs:
        pending = {}
        for _raw, kind, msg in records(path):
            if kind == REQUEST and len(msg) >= 40:
                _ln, op, unique = struct.unpack_from("=IIQ", msg)
                pending[unique] = op
                key = ("req", op)
            elif kind == REPLY and len(msg) >= 16:
                unique, = struct.unpack_from("=Q", msg, 8)
                op = pending.pop(unique, 0)
                key = ("reply", op)
            elif kind == NOTIFY and len(msg) >= 16:
                op = 0
                key = ("notify", struct.unpack_from("=i", msg, 4)[0])
            else:
                continue
            seed = bytes([op & 0xff, 0]) + msg
            if key not in best or better(key, seed, best[key]):
                best[key] = seed
    return best


def evlog_seeds(path):
    recs = list(records(path))
    seeds = {"head": b""}
    for raw, _kind, _msg in recs:
        if len(seeds["head"]) + len(raw) > EVLOG_MAX:
            break
        seeds["head"] += raw
    # each scenario: BEGIN and the records after it, up to the size cap
    n = 0
    for i, (raw, kind, _msg) in enumerate(recs):
        if kind != SCENARIO:
            continue
        body = b""
        for raw2, _k, _m in recs[i:]:
            if len(body) + len(raw2) > EVLOG_MAX:
                break
            body += raw2
        seeds[f"scenario{n}"] = body
        n += 1
    return {k: b"\1" + v for k, v in seeds.items()}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, logs = sys.argv[1], sys.argv[2:]
    os.makedirs(os.path.join(out, "proto"), exist_ok=True)
    os.makedirs(os.path.join(out, "evlog"), exist_ok=True)
    for (what, code), seed in sorted(proto_seeds(logs).items()):
        name = f"{what}-{code}"
        with open(os.path.join(out, "proto", name), "wb") as f:
            f.write(seed)
    for name, seed in evlog_seeds(logs[0]).items():
        with open(os.path.join(out, "evlog", name), "wb") as f:
            f.write(seed)


if __name__ == "__main__":
    main()
