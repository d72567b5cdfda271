"""CPython baseline for shmkit's value benchmarks: multiprocessing.Value('i')
incremented under its lock (with v.get_lock(): v.value += 1) from P
processes, N increments each. Prints increments per second, all processes
together, timed from a common start to the last finish.

    python3 mp_value_baseline.py [N] [P]
"""
import multiprocessing as mp
import sys
import time


def work(v, start, n):
    start.wait()
    for _ in range(n):
        with v.get_lock():
            v.value += 1


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    v = mp.Value('i', 0)
    start = mp.Event()
    procs = [mp.Process(target=work, args=(v, start, n)) for _ in range(p)]
    for pr in procs:
        pr.start()
    time.sleep(0.2)  # let them reach start.wait()
    t0 = time.perf_counter()
    start.set()
    for pr in procs:
        pr.join()
    dt = time.perf_counter() - t0
    assert v.value == n * p, (v.value, n * p)
    print(f"cpython mp.Value locked increments, {p} processes: {n * p / dt:.0f} incr/s ({dt:.3f} s)")


if __name__ == "__main__":
    main()
