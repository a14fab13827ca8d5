#!/usr/bin/python3
"""Many threads write and read large files with mixed sizes and offsets;
every byte read back must be the byte written.  Run under `fusecheck exec`
so that all of it crosses the tap.  Exit 0 when every byte matched."""
import hashlib
import os
import random
import sys
import threading

THREADS = int(os.environ.get("RW_THREADS", "8"))
FILE_SIZE = int(os.environ.get("RW_FILE_SIZE", str(4 << 20)))
ROUNDS = int(os.environ.get("RW_ROUNDS", "2"))
DIR = os.environ["FUSECHECK_DIR"]
errors = []


def pattern(seed, size):
    """Bytes nobody could produce by accident: a keyed hash stream."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(b"%d:%d" % (seed, counter)).digest()
        counter += 1
    return bytes(out[:size])


def worker(n):
    rnd = random.Random(n)
    path = os.path.join(DIR, f"data{n}")
    for r in range(ROUNDS):
        truth = pattern(n * 1000 + r, FILE_SIZE)
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o644)
        try:
            # Write in random-sized pieces at shuffled offsets, some large
            # enough to need several FUSE requests each.
            pieces, off = [], 0
            while off < FILE_SIZE:
                size = min(rnd.choice([1, 17, 4096, 65536, 131072, 300000]),
                           FILE_SIZE - off)
                pieces.append((off, size))
                off += size
            rnd.shuffle(pieces)
            for off, size in pieces:
                if os.pwrite(fd, truth[off:off + size], off) != size:
                    errors.append(f"{path}: short write at {off}")
            os.fsync(fd)
            # Read back with other sizes, and read a neighbour's file too.
            off = 0
            while off < FILE_SIZE:
                size = rnd.choice([3, 4096, 100000, 1 << 20])
                got = os.pread(fd, size, off)
                if got != truth[off:off + size]:
                    errors.append(f"{path}: bytes differ in [{off}, {off + size})")
                    break
                off += size
        finally:
            os.close(fd)
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).digest() != hashlib.sha256(truth).digest():
                errors.append(f"{path}: checksum differs in round {r}")


threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for n in range(THREADS):
    os.unlink(os.path.join(DIR, f"data{n}"))
for e in errors[:20]:
    print(e, file=sys.stderr)
print(f"{THREADS} threads x {ROUNDS} rounds x {FILE_SIZE} bytes: "
      f"{len(errors)} errors")
sys.exit(1 if errors else 0)
