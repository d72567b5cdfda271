"""The Python half of Go's bad-segment test (array/python_test.go).

    python3 python/tests/corrupt.py NAME:EXPECTED[:OBJECT] ...

For each argument opens segment NAME, lists its objects (and, with
OBJECT, opens that array or value) and requires the error class EXPECTED (NotShmkitError,
VersionError, CorruptError, ...): prints one line per case, "NAME
EXPECTED: message".
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import shmkit  # noqa: E402

for arg in sys.argv[1:]:
    name, expected, *obj = arg.split(":")
    cls = getattr(shmkit, expected)
    try:
        seg = shmkit.open(name)
        try:
            listed = {o.name: o.kind for o in seg.objects()}
            if obj:
                (seg.value if listed.get(obj[0]) == "value" else seg.array)(obj[0])
        finally:
            seg.close()
    except cls as e:
        assert isinstance(e, shmkit.Error), type(e)
        print("%s %s: %s" % (name, expected, e))
        continue
    except Exception as e:
        raise SystemExit("%s: %r, want %s" % (arg, e, expected))
    raise SystemExit("%s: no error, want %s" % (arg, expected))
