"""The small snapshot shapes of shapes.py, each made by real etcd 3.4.23 and 3.5.30 (a few by
3.5.16 too), through the differential check: `etcdctl-ext snapshot status -w json` prints
exactly what etcdctl 3.4.23 prints, and etcdctl-ext's restore and etcdutl 3.5.30's restore, each
started under etcd 3.5.30, give the same `endpoint hashkv` (hash, compact revision, revision).
etcdctl-ext must restore every one of them (a valid snapshot is never refused).

Snapshots are cached (shapes.DEFAULT_CACHE, $ETCDRESTORE_SHAPES_CACHE) so a rerun only checks.
The large shapes (hundreds of MB to over 4 GiB) run from bench/shapes.py.
"""

import concurrent.futures
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, REAL_ETCDCTL, find_etcd  # noqa: E402
import shapes  # noqa: E402


def setUpModule():
    if not ETCDCTL_EXT or not os.access(ETCDCTL_EXT, os.X_OK):
        raise unittest.SkipTest("ETCDCTL_EXT is not set to the built etcdctl-ext binary")
    missing = [p for p in (REAL_ETCDCTL, find_etcd("3.4"), find_etcd(shapes.CHECK_VERSION),
                           find_etcd(shapes.CHECK_VERSION, "etcdutl"), find_etcd(shapes.CHECK_VERSION, "etcdctl"))
               if not p or not os.access(p, os.X_OK)]
    if missing:
        raise unittest.SkipTest("needs etcd 3.4.23 (/usr/bin) and etcd/etcdctl/etcdutl %s (scripts/install-deps.sh)"
                                % shapes.CHECK_VERSION)


class Shapes(unittest.TestCase):
    """One test per (shape, version). setUpClass queues every build on one background thread,
    in test order, so building the next snapshot overlaps checking this one."""
    maxDiff = None
    _builds = None

    @classmethod
    def setUpClass(cls):
        cls._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        cls._builds = {}
        for name in unittest.TestLoader().getTestCaseNames(cls):
            shape, version = getattr(cls, name).shape_version
            if find_etcd(version):
                cls._builds[(shape.name, version)] = cls._pool.submit(shapes.build, shape, version)

    @classmethod
    def tearDownClass(cls):
        cls._pool.shutdown(wait=True, cancel_futures=True)

    def check_shape(self, shape, version):
        if not find_etcd(version):
            self.skipTest("etcd %s is not installed" % version)
        future = self._builds[(shape.name, version)]
        # Not started yet (tests run selectively, or out of order): build here instead of waiting.
        meta = shapes.build(shape, version) if future.cancel() else future.result()
        res = shapes.check(meta, ETCDCTL_EXT, parallel=True)
        detail = "shape %s (%s) made by etcd %s, snapshot %s (%d bytes):\n%s" % (
            shape.name, shape.note, version, meta["snapshot"], meta["size"], "\n".join(res["problems"]))
        self.assertTrue(res["restore_ok"], detail)
        self.assertTrue(res["status_equal"], detail)
        self.assertTrue(res["hashkv_equal"], detail)
        self.assertEqual(res["problems"], [], detail)


def _add(shape, version):
    def test(self):
        self.check_shape(shape, version)
    name = "test_%s_etcd%s" % (shape.name.replace("-", "_"), version.replace(".", ""))
    test.__name__ = name
    test.shape_version = (shape, version)
    test.__doc__ = "%s, made by etcd %s: %s" % (shape.name, version, shape.note)
    setattr(Shapes, name, test)


for _shape in shapes.SMALL.values():
    for _version in _shape.versions:
        _add(_shape, _version)


if __name__ == "__main__":
    unittest.main()
