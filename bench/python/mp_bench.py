"""CPython multiprocessing doing shmkit's bench scenarios, the same way.

Run by package bench (bench/python.go) as
    python3 mp_bench.py SCENARIO SIZE OPS [CORRUPT [MODE]]
and prints one JSON object on stdout. Every message is written in full and
checked in full by its receiver: 8 bytes of sequence number (xor a key),
then a window of a fixed random pattern chosen by the sequence number. A
failed check exits with status 3 and the reason on stderr.

    pingpong      mp.Pipe(): round trips, each timed (p50/p99/max)
    stream        mp.Pipe(duplex=False): one-way, send_bytes/recv_bytes
    fanin         mp.Queue(): 2 producers x 2 consumers, exactly once
    lock          mp.Lock() guarding an mp.RawValue: 2 processes
                  (contended) or 1 (uncontended); exact count
    value         mp.Value('i') += 1 under get_lock(), 2 processes; exact
    dict          Manager().dict() get or set of 64-byte values from 2
                  processes; every value checked
    pool-trivial  Pool(2).map of a task doing nothing, chunksize=1
    pool-cpu      fib(25) tasks, serial in one process or over
                  Pool(os.cpu_count())
    spawn         Process(target=f).start(); join(), or Pool(2) started,
                  closed and joined, each timed; the default start method

CORRUPT is the test hook: a value that must make the run fail its check.
"""
import functools
import json
import multiprocessing as mp
import os
import queue
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


# --- crews: processes started first, released together ---------------------

def crew_worker(target, ready, go, ends, args):
    ready.release()
    go.wait()
    try:
        target(*args)
    except CheckFailed as e:
        fail(str(e))
    ends.put(time.perf_counter_ns())


def crew(ctx, target, argss):
    """Runs target(*args) in one process per args, all started before the
    clock and released together; returns the nanoseconds from the release
    to the last finish."""
    ready, go, ends = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=crew_worker, args=(target, ready, go, ends, a)) for a in argss]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    t = time.perf_counter_ns()
    go.set()
    got = []
    while len(got) < len(procs):
        try:
            got.append(ends.get(timeout=0.5))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                for p in procs:
                    p.kill()
                fail("a worker process failed (exit %s)" % [p.exitcode for p in procs])
    for p in procs:
        p.join()
    return max(got) - t


def split(ops, n, i):
    return ops // n + (1 if i < ops % n else 0)


def rate(ops, d):
    return {"ops": ops, "ns_per_op": d / ops, "seconds": d / 1e9}


# --- lock -----------------------------------------------------------------

def lock_incr(lock, counter, n, skip):
    for i in range(n):
        with lock:
            if i != skip - 1:
                counter.value += 1


def lock(ctx, mode, ops, corrupt):
    lk, counter = ctx.Lock(), ctx.RawValue('q', 0)
    if mode == "uncontended":
        t = time.perf_counter_ns()
        lock_incr(lk, counter, ops, corrupt)
        d = time.perf_counter_ns() - t
    else:
        d = crew(ctx, lock_incr, [(lk, counter, split(ops, 2, i), corrupt if i == 0 else 0) for i in range(2)])
    if counter.value != ops:
        raise CheckFailed("wrong count: the counter is %d, want %d" % (counter.value, ops))
    return rate(ops, d)


# --- value ----------------------------------------------------------------

def value_incr(v, n, skip):
    for i in range(n):
        if i != skip - 1:
            with v.get_lock():
                v.value += 1


def value(ctx, mode, ops, corrupt):
    v = ctx.Value('i', 0)
    d = crew(ctx, value_incr, [(v, split(ops, 2, i), corrupt if i == 0 else 0) for i in range(2)])
    if v.value != ops:
        raise CheckFailed("wrong count: the value is %d, want %d" % (v.value, ops))
    return rate(ops, d)


# --- dict -----------------------------------------------------------------

DICT_KEYS, DICT_VALUE, DICT_HALF, DICT_SET = 1024, 64, 512, 1 << 40


def dict_key(ident, i):
    # Process ident works on its own half of the keys, in a stride that
    # visits all of them every DICT_HALF operations.
    return ident * DICT_HALF + (i * 7) % DICT_HALF


def dict_seq(ident, i):
    return DICT_SET | ident << 32 | i


def dict_work(d, mode, ident, n, corrupt):
    pat = pattern(DICT_VALUE)
    keys = ["key%d" % k for k in range(DICT_KEYS)]
    if mode == "get":
        for i in range(n):
            k = dict_key(ident, i)
            check(pat, d[keys[k]], k, DICT_VALUE)
    else:
        for i in range(n):
            m = make(pat, dict_seq(ident, i), DICT_VALUE)
            if corrupt and ident == 0 and i == n - 1:
                m = flipped(m)  # the last write to its key: it must be seen
            d[keys[dict_key(ident, i)]] = m


def dict_bench(ctx, mode, ops, corrupt):
    pat = pattern(DICT_VALUE)
    pers = [split(ops, 2, i) for i in range(2)]
    with ctx.Manager() as m:
        d = m.dict()
        init = {"key%d" % k: make(pat, k, DICT_VALUE) for k in range(DICT_KEYS)}
        if mode == "get" and corrupt:
            k = dict_key(0, 0)  # the first read of process 0
            init["key%d" % k] = flipped(init["key%d" % k])
        d.update(init)
        t = crew(ctx, dict_work, [(d, mode, i, pers[i], corrupt if i == 0 else 0) for i in range(2)])
        final = d.copy()
    if mode == "set":
        want = {k: k for k in range(DICT_KEYS)}
        for ident in range(2):
            for i in range(pers[ident]):
                want[dict_key(ident, i)] = dict_seq(ident, i)
        for k, seq in want.items():
            check(pat, final["key%d" % k], seq, DICT_VALUE)
    return rate(ops, t)


# --- pool-trivial ---------------------------------------------------------

def nop(corrupt, x):
    return x + 1 if x == corrupt - 1 else x


def pool_trivial(ctx, mode, ops, corrupt):
    pool = ctx.Pool(2)
    pool.map(functools.partial(nop, 0), range(20), chunksize=1)  # warm up
    t = time.perf_counter_ns()
    out = pool.map(functools.partial(nop, corrupt), range(ops), chunksize=1)
    d = time.perf_counter_ns() - t
    pool.close()
    pool.join()
    if out != list(range(ops)):
        raise CheckFailed("wrong result: the map's results are not its inputs")
    return rate(ops, d)


# --- pool-cpu -------------------------------------------------------------

FIB_N, FIB_WANT = 25, 75025


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def fib_task(arg):
    n, wrong = arg
    return fib(n) + wrong


def pool_cpu(ctx, mode, ops, corrupt):
    tasks = [(FIB_N, 1 if i == corrupt - 1 else 0) for i in range(ops)]
    if mode == "serial":
        t = time.perf_counter_ns()
        out = [fib_task(a) for a in tasks]
        d = time.perf_counter_ns() - t
    else:
        n = os.cpu_count() or 1
        pool = ctx.Pool(n)
        pool.map(fib_task, [(10, 0)] * n, chunksize=1)  # warm up
        t = time.perf_counter_ns()
        out = pool.map(fib_task, tasks)
        d = time.perf_counter_ns() - t
        pool.close()
        pool.join()
    if out != [FIB_WANT] * ops:
        raise CheckFailed("wrong result: fib(%d) is not %d in every task" % (FIB_N, FIB_WANT))
    return rate(ops, d)


# --- spawn ----------------------------------------------------------------

def trivial(code):
    sys.exit(code)


def spawn(_, mode, ops, corrupt):
    ctx = mp.get_context()  # the default start method, as a user gets it
    lat = []
    for i in range(-1, ops):  # -1: an untimed warm-up
        t = time.perf_counter_ns()
        if mode == "pool":
            pool = ctx.Pool(2)
            pool.close()
            pool.join()
        else:
            p = ctx.Process(target=trivial, args=(1 if corrupt and i == corrupt - 1 else 0,))
            p.start()
            p.join()
            if p.exitcode != 0:
                raise CheckFailed("wrong result: child %d exited with %s" % (i, p.exitcode))
        d = time.perf_counter_ns() - t
        if i >= 0:
            lat.append(d)
    lat.sort()
    n = len(lat)
    return {"ops": n, "ns_per_op": sum(lat) / n, "p50_ns": lat[(n - 1) // 2],
            "p99_ns": lat[min(n - 1, (n * 99 + 99) // 100 - 1)], "max_ns": lat[-1],
            "start_method": ctx.get_start_method()}


def main():
    scenario, size, ops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    corrupt = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    mode = sys.argv[5] if len(sys.argv) > 5 else ""
    try:
        ctx = mp.get_context("fork")
    except ValueError:
        ctx = mp.get_context()
    sized = {"pingpong": pingpong, "stream": stream, "fanin": fanin}
    moded = {"lock": lock, "value": value, "dict": dict_bench, "pool-trivial": pool_trivial,
             "pool-cpu": pool_cpu, "spawn": spawn}
    try:
        if scenario in sized:
            out = sized[scenario](ctx, size, ops, corrupt)
        else:
            out = moded[scenario](ctx, mode, max(ops, 2), corrupt)
    except CheckFailed as e:
        fail(str(e))
    out["python"] = sys.version.split()[0]
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
