"""The Python half of Go's round-trip test (array/python_test.go).

    python3 python/tests/roundtrip.py SEGMENT

Opens a segment Go made by name, checks what Go wrote, writes its own
values, and prints one JSON line of what it saw. With SHMKIT_TEST_HIDE_NUMPY
set it hides numpy first, to test the memoryview path.
"""
import json
import os
import sys

if os.environ.get("SHMKIT_TEST_HIDE_NUMPY"):
    sys.modules["numpy"] = None  # import numpy now raises ImportError
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import shmkit  # noqa: E402


def expect(cond, what):
    if not cond:
        raise SystemExit("check failed: " + what)


def raises(cls, fn, *args):
    try:
        fn(*args)
    except cls as e:
        return str(e)
    raise SystemExit("no %s from %s%r" % (cls.__name__, fn.__name__, args))


seg = shmkit.open(sys.argv[1])
objs = {o.name: o for o in seg.objects()}
numpy_path = shmkit.numpy is not None
expect(numpy_path != bool(os.environ.get("SHMKIT_TEST_HIDE_NUMPY")), "numpy hidden or not as asked")

samples = seg.array("samples")  # Array[float64]: i * 1.5
counts = seg.array("counts")  # Array[int32]: 10, 20, 30
points = seg.array("points")  # Array[[3]float32]
if numpy_path:
    import numpy as np
    expect(isinstance(samples, np.ndarray) and samples.dtype == np.float64, "samples is a float64 ndarray")
    expect(points.shape == (4, 3) and points.dtype == np.float32, "points is 4 x 3 float32")
    seen = samples.tolist()
    samples *= 2
    counts += 1
    points[1] = (1, 2, 3)
    recs = seg.array("recs", dtype=np.dtype([("id", "<i8"), ("score", "<f8")]))
    expect(recs["id"].tolist() == [7, 8], "recs ids through a structured dtype")
    recs["score"] = [0.5, 0.25]
    raises(shmkit.WrongKindError, seg.array, "recs")  # no recorded type, no dtype=
    raises(shmkit.WrongKindError, seg.array, "recs", "<i4")  # wrong size
    del recs
else:
    expect(isinstance(samples, memoryview) and samples.format == "d", "samples is a memoryview of doubles")
    expect(points.shape == (4, 3) and points.format == "f", "points is a 4 x 3 memoryview of floats")
    seen = samples.tolist()
    for i in range(len(samples)):
        samples[i] *= 2
    for i in range(len(counts)):
        counts[i] += 1
    points[1, 0], points[1, 1], points[1, 2] = 1, 2, 3
    raises(shmkit.WrongKindError, seg.array, "recs")
    raises(shmkit.WrongKindError, seg.array, "waves")  # complex64 needs numpy
    samples.release()
    counts.release()
    points.release()
del samples, counts, points

counter = seg.value("counter")  # Int[int64] = -7
temp = seg.value("temp")  # Float[float64] = 21.5
flags = seg.value("flags")  # Int[uint32] = 1
ratio = seg.value("ratio")  # Float[float32] = 0.5
small = seg.value("small")  # Value[int16] = -3
pair = seg.value("pair")  # Value[[2]int32] = {4, 5}
rec = seg.value("rec")  # Value[struct{A int64; B float64}]
got = {
    "counter": counter.value, "temp": temp.value, "flags": flags.value,
    "ratio": ratio.value, "small": small.value, "pair": pair.value,
    "rec_len": len(rec.value),
}
counter.value = counter.value * 6
temp.value = -0.25
flags.value = 0xDEADBEEF
ratio.value = 0.125
raises(shmkit.Error, setattr, small, "value", 1)  # Go writes a Value under its lock

errors = {
    "missing": raises(shmkit.NotFoundError, seg.array, "nope"),
    "array_of_value": raises(shmkit.WrongKindError, seg.array, "counter"),
    "value_of_array": raises(shmkit.WrongKindError, seg.value, "samples"),
    "value_of_lock": raises(shmkit.WrongKindError, seg.value, "lock"),
}
raises(shmkit.NotFoundError, shmkit.open, sys.argv[1] + "-missing")
raises(ValueError, shmkit.open, "../etc/passwd")

listing = {n: {"kind": o.kind, "offset": o.offset, "size": o.size, "dtype": o.dtype, "shape": o.shape}
           for n, o in objs.items()}
for v in (counter, temp, flags, ratio, small, pair, rec):
    v.release()
seg.close()
seg.close()  # idempotent
raises(shmkit.ClosedError, seg.objects)
print(json.dumps({"numpy": numpy_path, "samples": seen, "values": got, "objects": listing, "errors": errors}))
