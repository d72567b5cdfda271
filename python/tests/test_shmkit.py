"""Unit tests of python/shmkit.py that need no Go: python3 -m unittest
discover -s python/tests (array/python_test.go runs them too)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import shmkit  # noqa: E402


class TestXXH64(unittest.TestCase):
    def test_vectors(self):
        # Go's github.com/cespare/xxhash/v2 Sum64 of the same inputs.
        for data, want in [
            (b"", 0xEF46DB3751D8E999),
            (b"a", 0xD24EC4F1A98C6E5B),
            (b"abc", 0x44BC2CF5AD770999),
            (bytes(range(56)), 0x0CD869F80FF2B918),  # a segment header's length
            (bytes(range(100)), 0x6AC1E58032166597),
        ]:
            self.assertEqual(shmkit.xxh64(data), want, data)


class TestDType(unittest.TestCase):
    def test_parse(self):
        p = shmkit._parse_dtype
        self.assertEqual(p("<f8"), ((), "f8", 8))
        self.assertEqual(p("|u1"), ((), "u1", 1))
        self.assertEqual(p("(3,)<f4"), ((3,), "f4", 12))
        self.assertEqual(p("(2,3)<i4"), ((2, 3), "i4", 24))
        self.assertEqual(p("<c16"), ((), "c16", 16))
        for bad in ["", "<f3", "<u1", "|i8", ">i8", "(0,)<i8", "<x8", "i8", "(3)<f8x"]:
            self.assertIsNone(p(bad), bad)

    def test_nest(self):
        self.assertEqual(shmkit._nest(list(range(6)), (2, 3)), [[0, 1, 2], [3, 4, 5]])


class TestNames(unittest.TestCase):
    def test_refused(self):
        for bad in ["", "/", ".", "..", "a/b", "x\x00", "x\n", ".shmkit-tmp-1", "n" * 201]:
            with self.assertRaises(ValueError, msg=bad):
                shmkit.open(bad)

    def test_missing(self):
        with self.assertRaises(shmkit.NotFoundError):
            shmkit.open("/shmkit-test-no-such-segment-%d" % os.getpid())
        self.assertTrue(issubclass(shmkit.NotFoundError, shmkit.Error))


if __name__ == "__main__":
    unittest.main()
