"""Open shmkit segments by name from Python.

shmkit (github.com/shmkit/shmkit) is Go's multiprocessing over shared
memory. A Go program that makes a named segment (shm.Create) puts its
objects in a file of /dev/shm; this module maps that file and finds each
object by its name, as Go's shm.Segment.Lookup does:

    import shmkit                    # with python/ on sys.path
    with shmkit.open("my-segment") as seg:
        for o in seg.objects():      # name, kind, offset, size, dtype, shape
            print(o)
        a = seg.array("samples")     # a numpy view of a Go array.Array[float64]
        a *= 2                       # Go sees it at once: same memory
        c = seg.value("counter")     # a Go value.Int[int64]
        c.value += 1                 # a plain load, then a plain store

Pure Python, standard library only. numpy is optional: with it, array()
returns a numpy.ndarray over the shared memory; without it (or with
numpy=False), a memoryview cast to the element type (complex elements
need numpy).

What is checked, as Go checks it: the segment's magic, layout version and
header checksum (xxhash64), its size and directory, every directory
entry's bounds, and each array's and value's header (layout version,
element size, length, the numpy type Go recorded) before any view is
made. A file that is not a shmkit segment raises NotShmkitError, another
layout VersionError, a bad checksum or an entry out of bounds CorruptError,
an object of another kind WrongKindError, a missing one NotFoundError: all
subclasses of shmkit.Error.

Sharp edges:
  - Value.value reads and writes Go's value.Int and value.Float cells with
    one aligned load or store, so a read never sees half a number, but
    "c.value += 1" is a load and a store, not Go's atomic Add: an Add from
    Go between the two is lost. A value.Value[T] (a sequence lock over two
    copies, written under Go's lock) is read-only here.
  - Array views are plain memory, as Go's Array.Unsafe: no lock, no
    ordering. Go's array lock is not taken from Python.
  - close() lets go of the mapping. While numpy arrays or memoryviews made
    from the segment are alive, the memory stays mapped until the last of
    them is gone; after close() the segment itself refuses new views.
  - This module never creates or unlinks a segment, and does not use
    multiprocessing's resource tracker (which unlinks what it tracks).
"""

import mmap
import os
import re
import stat
import struct
from collections import namedtuple

try:
    import numpy
except ImportError:  # numpy is optional: memoryviews without it
    numpy = None

__all__ = [
    "open", "Segment", "Object", "Value", "xxh64",
    "Error", "NotShmkitError", "VersionError", "CorruptError",
    "WrongKindError", "NotFoundError", "ClosedError",
]

# The segment layout (Go: shm/layout.go). Little-endian.
SHM_DIR = "/dev/shm"
MAGIC = b"SHMKITSG"
SEGMENT_VERSION = 2
HEADER_SIZE = 256
CHECKSUM_END = 56  # the checksum covers bytes 0..56
COUNT_OFFSET = 144  # published directory entries (uint32)
ENTRY_SIZE = 64
MAX_OBJECT_NAME = 40
MAX_OBJECTS = 1 << 16
PAGE = 4096
MAX_NAME = 200
TMP_PREFIX = ".shmkit-tmp-"

# Object kinds (Go: shm/kind.go): the numbers are part of the layout.
KINDS = {
    1: "bytes", 16: "mutex", 17: "rwmutex", 18: "semaphore", 19: "cond",
    20: "event", 21: "barrier", 22: "rlock", 32: "value", 33: "array",
    48: "ring", 49: "queue", 50: "pipe", 64: "dict", 65: "list",
    66: "namespace", 80: "pool",
}
KIND_VALUE = 32
KIND_ARRAY = 33

# Value and array headers (Go: value/layout.go, array/layout.go).
VALUE_VERSION = 3
VALUE_SEQ = 128  # sequence number of a value.Value (uint64)
VALUE_DATA = 256
ARRAY_VERSION = 3
ARRAY_DATA = 128
DTYPE_OFFSET = 40
DTYPE_SIZE = 16
FLAVOR_VALUE, FLAVOR_INT, FLAVOR_FLOAT = 1, 2, 3
FLAVORS = {FLAVOR_VALUE: "value", FLAVOR_INT: "int", FLAVOR_FLOAT: "float"}


class Error(Exception):
    """Every error of this module: a segment or object that cannot be used."""


class NotShmkitError(Error):
    """The file is not a shmkit segment (Go: shm.ErrNotShmkit)."""


class VersionError(Error):
    """A layout version this module does not read (Go: shm.ErrVersion)."""


class CorruptError(Error):
    """A header or entry that fails its checks (Go: shm.ErrCorrupt)."""


class WrongKindError(Error, TypeError):
    """An object of another kind or type (Go: shm.ErrWrongKind)."""


class NotFoundError(Error, LookupError):
    """No such segment, or no such object in it (Go: os.ErrNotExist)."""


class ClosedError(Error):
    """The segment was closed (Go: os.ErrClosed)."""


# ---- xxhash64 (the segment header's checksum; Go: cespare/xxhash) ----

_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_P4 = 0x85EBCA77C2B2AE63
_P5 = 0x27D4EB2F165667C5
_M = (1 << 64) - 1


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M


def _round(acc, lane):
    acc = (acc + lane * _P2) & _M
    return (_rotl(acc, 31) * _P1) & _M


def _merge(h, v):
    h ^= _round(0, v)
    return (h * _P1 + _P4) & _M


def xxh64(data, seed=0):
    """Return the 64-bit xxHash (XXH64) of data, as Go's xxhash.Sum64."""
    b = bytes(data)
    n, i = len(b), 0
    if n >= 32:
        v1, v2 = (seed + _P1 + _P2) & _M, (seed + _P2) & _M
        v3, v4 = seed & _M, (seed - _P1) & _M
        while i + 32 <= n:
            a, c, d, e = struct.unpack_from("<4Q", b, i)
            v1, v2, v3, v4 = _round(v1, a), _round(v2, c), _round(v3, d), _round(v4, e)
            i += 32
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _M
        for v in (v1, v2, v3, v4):
            h = _merge(h, v)
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while i + 8 <= n:
        h ^= _round(0, struct.unpack_from("<Q", b, i)[0])
        h = (_rotl(h, 27) * _P1 + _P4) & _M
        i += 8
    if i + 4 <= n:
        h ^= (struct.unpack_from("<I", b, i)[0] * _P1) & _M
        h = (_rotl(h, 23) * _P2 + _P3) & _M
        i += 4
    while i < n:
        h ^= (b[i] * _P5) & _M
        h = (_rotl(h, 11) * _P1) & _M
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M
    h ^= h >> 29
    h = (h * _P3) & _M
    return h ^ (h >> 32)


# ---- numpy type strings, as Go's value.DType writes them ----

_DTYPE_RE = re.compile(r"^(?:\((\d+(?:,\d+)*),?\))?([<|])([biufc])(\d+)$")
_SIZES = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (4, 8), "c": (8, 16)}
# memoryview formats (native order and size; shmkit runs on little-endian
# 64-bit Linux) for the element types Go records.
_FORMATS = {
    "b1": "?", "i1": "b", "u1": "B", "i2": "h", "u2": "H", "i4": "i",
    "u4": "I", "i8": "q", "u8": "Q", "f4": "f", "f8": "d",
}


def _parse_dtype(s):
    """Split a recorded type string into (dims, scalar code, itemsize),
    e.g. "(3,)<f8" -> ((3,), "f8", 24). None if s is not one Go writes."""
    m = _DTYPE_RE.match(s)
    if not m:
        return None
    dims = tuple(int(d) for d in m.group(1).split(",")) if m.group(1) else ()
    code, size = m.group(3), int(m.group(4))
    if size not in _SIZES[code] or (size == 1) != (m.group(2) == "|") or 0 in dims:
        return None
    items = 1
    for d in dims:
        items *= d
    return dims, code + str(size), items * size


def _read_dtype(buf, off):
    raw = bytes(buf[off:off + DTYPE_SIZE]).split(b"\0", 1)[0]
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return "\ufffd"  # fails _parse_dtype: the caller reports it


def _u32(buf, off):
    return struct.unpack_from("<I", buf, off)[0]


def _u64(buf, off):
    return struct.unpack_from("<Q", buf, off)[0]


def _a(kind):
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _align_up(n, a):
    return (n + a - 1) & ~(a - 1)


def _clean_name(name):
    """Validate a segment name as Go's shm does (a leading slash, as
    POSIX shm_open and Python's SharedMemory accept, is dropped)."""
    if not isinstance(name, str):
        raise TypeError("segment name must be str, not %s" % type(name).__name__)
    n = name[1:] if name.startswith("/") else name
    if not n or n in (".", "..") or len(n.encode()) > MAX_NAME or n.startswith(TMP_PREFIX):
        raise ValueError("segment name %r: empty, too long, '.', '..' or reserved" % name)
    if any(c == "/" or ord(c) < 32 or ord(c) == 0x7F for c in n):
        raise ValueError("segment name %r: may not hold '/', NUL or control characters" % name)
    return n


Object = namedtuple("Object", "name kind offset size dtype shape kind_id version object_offset object_size")
Object.__doc__ = """One object of a segment, as objects() lists it.

name, kind ("array", "value", "queue", ...): as Go's shm.Object.
offset: where the object's data starts in the segment's bytes (for an
    array element 0, for a value its number; for other kinds the object).
size: the data's bytes (an array's elements, a value's T, or the object).
dtype: the numpy type string Go recorded ("<f8", "(3,)<f4"), or None.
shape: an array's (len,), else None.
kind_id, version, object_offset, object_size: the directory entry itself.
"""


def open(name, readonly=False):  # noqa: A001 (shadows builtins.open on purpose: shmkit.open)
    """Map the named shmkit segment (/dev/shm/NAME) and validate its header.

    readonly maps it read-only (views then refuse writes). Raises
    NotFoundError for a missing segment, NotShmkitError for a file that is
    not one, VersionError, CorruptError; PermissionError if the file's
    mode refuses this user.
    """
    n = _clean_name(name)
    path = os.path.join(SHM_DIR, n)
    try:
        fd = os.open(path, os.O_RDONLY if readonly else os.O_RDWR)
    except FileNotFoundError:
        raise NotFoundError("segment %r: no such file in %s" % (n, SHM_DIR)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotShmkitError("segment %r: not a regular file" % n)
        if st.st_size < HEADER_SIZE:
            raise NotShmkitError("segment %r: %d bytes, smaller than a shmkit header" % (n, st.st_size))
        access = mmap.ACCESS_READ if readonly else mmap.ACCESS_WRITE
        mm = mmap.mmap(fd, st.st_size, access=access)
    finally:
        os.close(fd)
    try:
        return Segment(n, mm, readonly)
    except BaseException:
        mm.close()
        raise


class Segment:
    """A mapped shmkit segment. Use open(name); close() when done (or a
    with block)."""

    def __init__(self, name, mm, readonly=False):
        self.name = name
        self.readonly = readonly
        self._mm = mm
        self._buf = memoryview(mm)
        try:
            self._validate()
        except BaseException:
            self._buf.release()  # so that open() can unmap
            raise
        self._count = self._buf[COUNT_OFFSET:COUNT_OFFSET + 4].cast("I")

    def _validate(self):
        b = self._buf
        if bytes(b[:8]) != MAGIC:
            raise NotShmkitError("segment %r: not a shmkit segment (no magic %r)" % (self.name, MAGIC.decode()))
        (version, data_off, size, seg_id, pid, dir_cap, start, created,
         checksum) = struct.unpack_from("<IIQQIIQqQ", b, 8)
        if version != SEGMENT_VERSION:
            raise VersionError("segment %r: layout version %d, this module reads %d" % (self.name, version, SEGMENT_VERSION))
        if xxh64(b[:CHECKSUM_END]) != checksum:
            raise CorruptError("segment %r: header checksum mismatch" % self.name)
        if size != len(b):
            raise CorruptError("segment %r: header says %d bytes, the file has %d (truncated?)" % (self.name, size, len(b)))
        if not 1 <= dir_cap <= MAX_OBJECTS or data_off != _align_up(HEADER_SIZE + dir_cap * ENTRY_SIZE, PAGE) or data_off > size:
            raise CorruptError("segment %r: directory of %d entries with data at %d in %d bytes" % (self.name, dir_cap, data_off, size))
        self.size, self.id, self.creator_pid = size, seg_id, pid
        self.created_ns = created
        self._data_off, self._dir_cap = data_off, dir_cap

    # ---- the directory ----

    def _check_open(self):
        if self._buf is None:
            raise ClosedError("segment %r is closed" % self.name)

    def _entries(self):
        """Yield (index, name, kind, version, offset, size) of every
        published entry, each checked against the segment's bounds."""
        self._check_open()
        b = self._buf
        count = self._count[0]  # one aligned load: Go publishes the entry before the count
        if count > self._dir_cap:
            raise CorruptError("segment %r: directory count %d over capacity %d" % (self.name, count, self._dir_cap))
        for i in range(count):
            at = HEADER_SIZE + i * ENTRY_SIZE
            raw = bytes(b[at:at + MAX_OBJECT_NAME]).split(b"\0", 1)[0]
            kind, version, off, size = struct.unpack_from("<IIQQ", b, at + MAX_OBJECT_NAME)
            name = raw.decode("utf-8", "replace")
            if not name or kind == 0 or size == 0 or off < self._data_off or off > self.size or size > self.size - off:
                raise CorruptError("segment %r: directory entry %d (%r: kind %d at %d, %d bytes) outside the segment's %d bytes"
                                   % (self.name, i, name, kind, off, size, self.size))
            yield i, name, kind, version, off, size

    def _entry(self, name):
        for e in self._entries():
            if e[1] == name:
                return e
        raise NotFoundError("object %r in segment %r: no such object" % (name, self.name))

    def objects(self):
        """List every object, in allocation order, as Object tuples. An
        array or value whose own header fails its checks is listed as its
        whole object, with dtype None."""
        out = []
        for _, name, kind, version, off, size in self._entries():
            data_off, data_size, dtype, shape = off, size, None, None
            try:
                if kind == KIND_ARRAY:
                    a = self._array_header(name, version, off, size)
                    data_off, data_size, dtype, shape = a["offset"], a["len"] * a["elem_size"], a["dtype"], (a["len"],)
                elif kind == KIND_VALUE:
                    v = self._value_header(name, version, off, size)
                    data_off, data_size, dtype = v["offset"], v["size"], v["dtype"]
            except Error:
                pass
            out.append(Object(name, KINDS.get(kind, "kind(%d)" % kind), data_off, data_size,
                              dtype or None, shape, kind, version, off, size))
        return out

    def object(self, name):
        """The Object called name (NotFoundError if there is none)."""
        for o in self.objects():
            if o.name == name:
                return o
        raise NotFoundError("object %r in segment %r: no such object" % (name, self.name))

    def _typed(self, name, want_kind, want_version):
        _, name, kind, version, off, size = self._entry(name)
        if kind != want_kind:
            raise WrongKindError("object %r is %s, not %s" % (name, _a(KINDS.get(kind, "kind(%d)" % kind)), _a(KINDS[want_kind])))
        if version != want_version:
            raise VersionError("%s %r: layout version %d, this module reads %d" % (KINDS[kind], name, version, want_version))
        return name, version, off, size

    # ---- arrays ----

    def _array_header(self, name, version, off, size):
        if version != ARRAY_VERSION:
            raise VersionError("array %r: layout version %d, this module reads %d" % (name, version, ARRAY_VERSION))
        b = self._buf
        if size < ARRAY_DATA or off % 8:
            raise CorruptError("array %r: %d bytes at %d: too small or misaligned for an array" % (name, size, off))
        n, elem_size, align = struct.unpack_from("<QII", b, off + 16)
        dtype = _read_dtype(b, off + DTYPE_OFFSET)
        if elem_size == 0 or n > (size - ARRAY_DATA) // elem_size:
            raise CorruptError("array %r: %d elements of %d bytes do not fit in %d bytes" % (name, n, elem_size, size))
        if align == 0 or align & (align - 1) or (off + ARRAY_DATA) % align:
            raise CorruptError("array %r: element alignment %d" % (name, align))
        if dtype:
            p = _parse_dtype(dtype)
            if p is None or p[2] != elem_size:
                raise CorruptError("array %r: recorded type %r does not describe its %d-byte elements" % (name, dtype, elem_size))
        return {"offset": off + ARRAY_DATA, "len": n, "elem_size": elem_size, "dtype": dtype}

    def array(self, name, dtype=None):
        """A view of the Go array.Array called name: a numpy.ndarray of the
        element type Go recorded (shape (len,), or (len, 3) for [3]float64
        elements), or without numpy a memoryview cast the same way.

        For elements Go recorded no type for (structs), pass dtype, a
        numpy dtype of the element's size (numpy.dtype([("a", "<i8"),
        ("b", "<f8")]) for struct{ A int64; B float64 }); with numpy only.
        """
        name, version, off, size = self._typed(name, KIND_ARRAY, ARRAY_VERSION)
        h = self._array_header(name, version, off, size)
        return self._view(name, h["offset"], h["len"], h["elem_size"], dtype or h["dtype"])

    def _view(self, name, off, n, elem_size, dtype):
        data = self._buf[off:off + n * elem_size]
        if numpy is not None:
            if not dtype:
                raise WrongKindError("array %r: %d-byte elements with no numpy type (a Go struct): pass dtype= of that size" % (name, elem_size))
            dt = numpy.dtype(dtype)
            if dt.itemsize != elem_size:
                raise WrongKindError("array %r: dtype %s is %d bytes, the elements are %d" % (name, dt, dt.itemsize, elem_size))
            return numpy.ndarray((n,), dtype=dt, buffer=data)
        p = _parse_dtype(dtype) if isinstance(dtype, str) and dtype else None
        if p is None or p[1] not in _FORMATS:
            raise WrongKindError("array %r: elements of type %r need numpy (install it, or use buffer(%r))" % (name, dtype, name))
        dims, code, _ = p
        return data.cast(_FORMATS[code], (n,) + dims) if n else data.cast(_FORMATS[code])

    # ---- values ----

    def _value_header(self, name, version, off, size):
        if version != VALUE_VERSION:
            raise VersionError("value %r: layout version %d, this module reads %d" % (name, version, VALUE_VERSION))
        b = self._buf
        if size < VALUE_DATA or off % 8:
            raise CorruptError("value %r: %d bytes at %d: too small or misaligned for a value" % (name, size, off))
        flavor, t_size = b[off + 16], _u32(b, off + 20)
        dtype = _read_dtype(b, off + DTYPE_OFFSET)
        stride = (t_size + 7) & ~7
        copies = 2 if flavor == FLAVOR_VALUE else 1
        if flavor not in FLAVORS or t_size == 0 or VALUE_DATA + copies * stride > size:
            raise CorruptError("value %r: flavor %d holding %d bytes in a %d-byte object" % (name, flavor, t_size, size))
        p = _parse_dtype(dtype) if dtype else None
        if dtype and (p is None or p[2] != t_size):
            raise CorruptError("value %r: recorded type %r does not describe its %d bytes" % (name, dtype, t_size))
        if flavor != FLAVOR_VALUE and (p is None or p[0] or p[1] not in ("i4", "u4", "i8", "u8", "f4", "f8")
                                       or (flavor == FLAVOR_FLOAT) != (p[1][0] == "f")):
            raise CorruptError("value %r: a %s cell recorded as %r" % (name, FLAVORS[flavor], dtype))
        return {"offset": off + VALUE_DATA, "size": t_size, "stride": stride, "flavor": flavor, "dtype": dtype, "object": off}

    def value(self, name):
        """The Go value called name (value.Int, value.Float, value.Value),
        as a Value whose .value reads it (and, for Int and Float, writes it)."""
        name, version, off, size = self._typed(name, KIND_VALUE, VALUE_VERSION)
        return Value(self, name, self._value_header(name, version, off, size))

    def buffer(self, name):
        """The bytes of the object called name as a memoryview, no copy: an
        array's elements, a value's data area, or any other object whole."""
        _, name, kind, version, off, size = self._entry(name)
        if kind == KIND_ARRAY:
            h = self._array_header(name, version, off, size)
            return self._buf[h["offset"]:h["offset"] + h["len"] * h["elem_size"]]
        if kind == KIND_VALUE:
            h = self._value_header(name, version, off, size)
            return self._buf[h["offset"]:off + size]
        return self._buf[off:off + size]

    # ---- lifetime ----

    @property
    def closed(self):
        return self._buf is None

    def close(self):
        """Let go of the segment; idempotent. Views still alive keep the
        memory mapped until they are gone (see the module's doc)."""
        if self._buf is None:
            return
        buf, mm = self._buf, self._mm
        self._buf = self._mm = None
        self._count.release()
        try:
            buf.release()
            mm.close()
        except BufferError:
            pass  # views are alive: the mapping goes with the last of them

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self.closed else "%d bytes" % self.size
        return "<shmkit.Segment %r, %s>" % (self.name, state)


class Value:
    """A Go value cell in a segment: read .value, and for value.Int and
    value.Float write it. Attributes: name, flavor ("int", "float",
    "value"), dtype (None for a struct), offset (of the data)."""

    def __init__(self, seg, name, h):
        self._seg = seg
        self.name = name
        self.flavor = FLAVORS[h["flavor"]]
        self.dtype = h["dtype"] or None
        self.offset = h["offset"]
        self._size, self._stride = h["size"], h["stride"]
        b = seg._buf
        if h["flavor"] == FLAVOR_VALUE:
            self._cell = None
            self._seq = b[h["object"] + VALUE_SEQ:h["object"] + VALUE_SEQ + 8].cast("Q")
            self._copies = b[self.offset:self.offset + 2 * self._stride]
        else:
            fmt = _FORMATS[_parse_dtype(self.dtype)[1]]
            self._cell = b[self.offset:self.offset + self._size].cast(fmt)

    def _check(self):
        if self._seg.closed:
            raise ClosedError("value %r: segment %r is closed" % (self.name, self._seg.name))

    @property
    def value(self):
        self._check()
        if self._cell is not None:
            return self._cell[0]  # one aligned load
        return self._decode(self._load_copy())

    @value.setter
    def value(self, x):
        self._check()
        if self._cell is None:
            raise Error("value %r is a value.Value, written under its Go lock: Python reads it, "
                        "Go writes it (use a value.Int or value.Float for a cell both write)" % self.name)
        self._cell[0] = x  # one aligned store

    def _load_copy(self):
        # Go's Value.Load: read the sequence number, copy the published
        # copy (seq & 1), and keep it only if no write was published
        # meanwhile (a writer fills the other copy, then bumps seq).
        while True:
            s = self._seq[0]
            at = (s & 1) * self._stride
            data = bytes(self._copies[at:at + self._size])
            if self._seq[0] == s:
                return data

    def _decode(self, data):
        p = _parse_dtype(self.dtype) if self.dtype else None
        if p is None:
            return data  # a struct: its bytes, as Go lays them out
        if numpy is not None:
            v = numpy.frombuffer(data, dtype=numpy.dtype(self.dtype))[0]
            return v.tolist() if hasattr(v, "tolist") else v
        if p[1] not in _FORMATS:
            return data
        dims, code, _ = p
        items = struct.unpack("<%d%s" % (len(data) // int(code[1:]), _FORMATS[code]), data)
        if not dims:
            return items[0]
        return _nest(list(items), dims)

    def release(self):
        """Drop this cell's views of the segment (close() then can unmap)."""
        for mv in (self._cell, getattr(self, "_seq", None), getattr(self, "_copies", None)):
            if mv is not None:
                mv.release()

    def __repr__(self):
        try:
            v = self.value
        except Error:
            v = "?"
        return "<shmkit.Value %r %s %s = %r>" % (self.name, self.flavor, self.dtype, v)


def _nest(items, dims):
    """items (flat) shaped as nested lists of dims."""
    for d in reversed(dims[1:]):
        items = [items[i:i + d] for i in range(0, len(items), d)]
    return items
