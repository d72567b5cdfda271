"""CPython multiprocessing doing shmkit's bench scenarios, the same way.

Run by package bench (bench/python.go) as
    python3 mp_bench.py SCENARIO SIZE OPS [CORRUPT]
and prints one JSON object on stdout. Every message is written in full and
checked in full by its receiver: 8 bytes of sequence number (xor a key),
then a window of a fixed random pattern chosen by the sequence number. A
failed check exits with status 3 and the reason on stderr.

    pingpong  mp.Pipe(): round trips, each timed (p50/p99/max)
    stream    mp.Pipe(duplex=False): one-way, send_bytes/recv_bytes
    fanin     mp.Queue(): 2 producers x 2 consumers, exactly once
"""
import json
import multiprocessing as mp
import random
import struct
import sys
import time

KEY = 0x5A17C0DE9E3779B9
WINDOWS = 251
PRODUCERS, CONSUMERS, SHIFT, STOP = 2, 2, 40, 0xFFFF


class CheckFailed(Exception):
    pass


def pattern(size):
    return random.Random(0x53484D4B).randbytes(size + WINDOWS + 8)


def make(pat, seq, size):
    w = seq % WINDOWS
    return struct.pack("<Q", seq ^ KEY) + pat[w + 8:w + size]


def check(pat, m, seq, size):
    if len(m) != size or m[:8] != struct.pack("<Q", seq ^ KEY):
        raise CheckFailed("message %d: wrong sequence or length %d" % (seq, len(m)))
    w = seq % WINDOWS
    if m[8:] != pat[w + 8:w + size]:
        raise CheckFailed("message %d: payload differs" % seq)


def seq_of(m):
    return struct.unpack("<Q", m[:8])[0] ^ KEY


def flipped(m):
    return m[:-1] + bytes([m[-1] ^ 0x40])


def fail(msg):
    sys.stderr.write("cpython-mp: %s\n" % msg)
    sys.exit(3)


def warmups(ops):
    return min(ops // 4 + 1, 500)


# --- pingpong -------------------------------------------------------------

def echo(conn, n, size):
    pat = pattern(size)
    try:
        for i in range(n):
            m = conn.recv_bytes()
            check(pat, m, 2 * i, size)
            conn.send_bytes(make(pat, 2 * i + 1, size))
    except (CheckFailed, EOFError) as e:
        fail(str(e))


def pingpong(ctx, size, ops, corrupt):
    pat = pattern(size)
    a, b = ctx.Pipe()
    w = warmups(ops)
    p = ctx.Process(target=echo, args=(b, w + ops, size))
    p.start()
    b.close()  # the child's end: its death is then end of file here
    lat = []
    try:
        for i in range(w + ops):
            m = make(pat, 2 * i, size)
            if corrupt == i + 1:
                m = flipped(m)
            t = time.perf_counter_ns()
            a.send_bytes(m)
            r = a.recv_bytes()
            d = time.perf_counter_ns() - t
            check(pat, r, 2 * i + 1, size)
            if i >= w:
                lat.append(d)
    except (EOFError, ConnectionError):
        p.join()
        fail("echo process died (exit %s)" % p.exitcode)
    p.join()
    lat.sort()
    n = len(lat)
    return {"ops": n, "ns_per_op": sum(lat) / n, "p50_ns": lat[(n - 1) // 2],
            "p99_ns": lat[min(n - 1, (n * 99 + 99) // 100 - 1)], "max_ns": lat[-1]}


# --- stream ---------------------------------------------------------------

def sink(r, done, n, size):
    pat = pattern(size)
    done.send_bytes(b"ready")
    try:
        for i in range(n):
            check(pat, r.recv_bytes(), i, size)
    except (CheckFailed, EOFError) as e:
        fail(str(e))
    done.send_bytes(b"done")


def stream(ctx, size, ops, corrupt):
    pat = pattern(size)
    r, w = ctx.Pipe(duplex=False)
    dr, dw = ctx.Pipe(duplex=False)
    p = ctx.Process(target=sink, args=(r, dw, ops, size))
    p.start()
    r.close()  # the child's ends: its death is then end of file here
    dw.close()
    try:
        dr.recv_bytes()
    except EOFError:
        p.join()
        fail("sink process died (exit %s)" % p.exitcode)
    t = time.perf_counter_ns()
    try:
        for i in range(ops):
            m = make(pat, i, size)
            if corrupt == i + 1:
                m = flipped(m)
            w.send_bytes(m)
        dr.recv_bytes()
    except (EOFError, ConnectionError, BrokenPipeError):
        p.join()
        fail("sink process died (exit %s)" % p.exitcode)
    d = time.perf_counter_ns() - t
    p.join()
    return {"ops": ops, "ns_per_op": d / ops, "seconds": d / 1e9}


# --- fanin ----------------------------------------------------------------

def produce(q, ready, go, index, per, size, corrupt):
    pat = pattern(size)
    ready.release()
    go.wait()
    for i in range(per):
        m = make(pat, index << SHIFT | i, size)
        if corrupt == index * per + i + 1:
            m = flipped(m)
        q.put(m)
    q.put(make(pat, STOP << SHIFT | index, size))


def consume(q, ready, go, results, per, size):
    pat = pattern(size)
    seen = [bytearray((per + 7) // 8) for _ in range(PRODUCERS)]
    ready.release()
    go.wait()
    try:
        while True:
            m = q.get()
            seq = seq_of(m)
            check(pat, m, seq, size)
            p, i = seq >> SHIFT, seq & ((1 << SHIFT) - 1)
            if p == STOP:
                break
            if p >= PRODUCERS or i >= per:
                raise CheckFailed("message %#x from no producer" % seq)
            if seen[p][i // 8] & (1 << (i % 8)):
                raise CheckFailed("message %d of producer %d taken twice" % (i, p))
            seen[p][i // 8] |= 1 << (i % 8)
    except CheckFailed as e:
        fail(str(e))
    results.put((time.perf_counter_ns(), [bytes(s) for s in seen]))


def fanin(ctx, size, ops, corrupt):
    per = ops // PRODUCERS
    q, results = ctx.Queue(), ctx.Queue()
    ready, go = ctx.Semaphore(0), ctx.Event()
    procs = [ctx.Process(target=produce, args=(q, ready, go, i, per, size, corrupt)) for i in range(PRODUCERS)]
    procs += [ctx.Process(target=consume, args=(q, ready, go, results, per, size)) for _ in range(CONSUMERS)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    t = time.perf_counter_ns()
    go.set()
    ends, maps = [], []
    for _ in range(CONSUMERS):
        while True:
            try:
                end, seen = results.get(timeout=0.5)
                break
            except Exception:
                if any(p.exitcode not in (None, 0) for p in procs):
                    for p in procs:
                        p.kill()
                    fail("a fanin process failed")
        ends.append(end)
        maps.append(seen)
    for p in procs:
        p.join()
    for p in range(PRODUCERS):
        a, b = maps[0][p], maps[1][p]
        if any(x & y for x, y in zip(a, b)):
            fail("a message of producer %d reached both consumers" % p)
        for i in range(per):
            if not (a[i // 8] | b[i // 8]) & (1 << (i % 8)):
                fail("message %d of producer %d never arrived" % (i, p))
    d = max(ends) - t
    return {"ops": per * PRODUCERS, "ns_per_op": d / (per * PRODUCERS), "seconds": d / 1e9}


def main():
    scenario, size, ops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    corrupt = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    try:
        ctx = mp.get_context("fork")
    except ValueError:
        ctx = mp.get_context()
    run = {"pingpong": pingpong, "stream": stream, "fanin": fanin}[scenario]
    try:
        out = run(ctx, size, ops, corrupt)
    except CheckFailed as e:
        fail(str(e))
    out["python"] = sys.version.split()[0]
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
