"""etcdctl-ext snapshot restore with real etcd: round trip, HA, cross-check, bump, running etcd.

Two source snapshots are made once (module setup): etcd 3.4.23 and etcd 3.5 each get the same
few thousand keys with history (rewrites, deletes, a lease, binary data) and are saved with
`etcdctl-ext snapshot save`. Every check reads through the REAL etcdctl 3.4 and compares with
what the source served, or with the real etcdctl 3.4 / etcdutl 3.5 restores of the same file.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, REAL_ETCDCTL, Cluster, find_etcd, free_port, run  # noqa: E402
from test_restore_util import (cluster_id, ext, get_all, member_id, member_list, restore,  # noqa: E402
                               snapshot_status, write_dataset)

V35 = "3.5.30" if find_etcd("3.5.30") else "3.5.16"
DEFAULT_ID = 0x8e9e05c52164694d      # default / http://localhost:2380 / etcd-cluster
DEFAULT_CLUSTER = 0xcdf818194e3a8c32

SOURCES = {}  # version -> dict(snapshot=path, revision=int, kvs=[...])
WORK = None


def setUpModule():
    global WORK
    if not ETCDCTL_EXT or not os.access(ETCDCTL_EXT, os.X_OK):
        raise unittest.SkipTest("ETCDCTL_EXT is not set to the built etcdctl-ext binary")
    if not find_etcd("3.4") or not find_etcd(V35) or not os.access(REAL_ETCDCTL, os.X_OK):
        raise unittest.SkipTest("needs etcd 3.4.23 (/usr/bin) and etcd 3.5 (scripts/install-deps.sh)")
    WORK = tempfile.mkdtemp(prefix="etcdrestore-restore-e2e-")
    for version in ("3.4", V35):
        os.makedirs(os.path.join(WORK, "src-" + version))
        with Cluster(os.path.join(WORK, "src-" + version)) as c:
            e = c.start_etcd(version, name="src", initial_cluster_token="src-token")
            rev = write_dataset(e)
            snap = os.path.join(WORK, "snap-%s.db" % version)
            r = ext("--endpoints=" + e.endpoint, "snapshot", "save", snap)
            if r.rc != 0:
                raise RuntimeError("snapshot save failed: %r" % r)
            got_rev, kvs = get_all(e.endpoint)
            SOURCES[version] = dict(snapshot=snap, revision=rev, kvs=kvs, src_id=member_list(e.endpoint)[1][0][0])
            assert got_rev == rev, (got_rev, rev)


def tearDownModule():
    if WORK and not os.environ.get("ETCDRESTORE_KEEP_E2E"):
        shutil.rmtree(WORK, ignore_errors=True)


class RestoreTestBase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=self.id().rsplit(".", 1)[-1] + "-", dir=WORK)
        self.cluster = Cluster(self.dir)

    def tearDown(self):
        self.cluster.close()

    def assertRestored(self, snapshot, data_dir, *flags, tool=None):
        if tool is None:
            r = restore(snapshot, data_dir, *flags)
        else:
            r = run([tool, "snapshot", "restore", snapshot, "--data-dir", data_dir, *flags], timeout=120)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stdout, b"", "restore prints nothing on stdout (like etcdctl)")
        return r

    def assertSameData(self, endpoint, source, revision_delta=0):
        rev, kvs = get_all(endpoint)
        self.assertEqual(rev, source["revision"] + revision_delta)
        self.assertEqual(len(kvs), len(source["kvs"]))
        for want, got in zip(source["kvs"], kvs):
            self.assertEqual(got, want)


class RoundTrip(RestoreTestBase):
    """save -> restore (ours) -> start: every key equal in value, create/mod revision,
    version, lease; the member list is the restored member only."""

    def round_trip(self, version, *flags):
        src = SOURCES[version]
        data = os.path.join(self.dir, "restored.etcd")
        r = self.assertRestored(src["snapshot"], data, *flags)
        self.assertIn(("restored member default (8e9e05c52164694d) into data dir %s" % data).encode(), r.stderr)
        e = self.cluster.start_etcd(version, name="default", data_dir=data)
        self.assertSameData(e.endpoint, src)
        cid, members = member_list(e.endpoint)
        self.assertEqual(cid, DEFAULT_CLUSTER)
        self.assertEqual(members, [(DEFAULT_ID, "default", ("http://localhost:2380",))])
        self.assertNotEqual(src["src_id"], DEFAULT_ID)
        # The restored member takes writes; revisions continue from the snapshot's.
        put = e.put("/after-restore", "x")
        self.assertEqual(int(put["header"]["revision"]), src["revision"] + 1)

    def test_etcd34(self):
        self.round_trip("3.4", "--etcd-version", "3.4")

    def test_etcd34_default_wal_flavor(self):
        self.round_trip("3.4")  # the 3.5-flavor WAL (etcdutl's) boots etcd 3.4 too

    def test_etcd35(self):
        self.round_trip(V35)

    def test_etcd3516_from_the_35_snapshot(self):
        if V35 == "3.5.16" or not find_etcd("3.5.16"):
            self.skipTest("etcd 3.5.16 not installed, or already the 3.5 under test")
        src = SOURCES[V35]
        data = os.path.join(self.dir, "restored.etcd")
        self.assertRestored(src["snapshot"], data)
        e = self.cluster.start_etcd("3.5.16", name="default", data_dir=data)
        self.assertSameData(e.endpoint, src)
        self.assertEqual(member_list(e.endpoint), (DEFAULT_CLUSTER, [(DEFAULT_ID, "default", ("http://localhost:2380",))]))

    def test_separate_wal_dir(self):
        src = SOURCES["3.4"]
        data, wal = os.path.join(self.dir, "d.etcd"), os.path.join(self.dir, "wal")
        self.assertRestored(src["snapshot"], data, "--wal-dir", wal)
        self.assertEqual(os.listdir(wal), ["0000000000000000-0000000000000000.wal"])
        self.assertFalse(os.path.exists(os.path.join(data, "member", "wal")))
        e = self.cluster.start_etcd("3.4", name="default", data_dir=data, extra_args=["--wal-dir", wal])
        self.assertSameData(e.endpoint, src)


class HighAvailability(RestoreTestBase):
    """Three members a, b, c restored from one snapshot with one token form a healthy
    cluster of exactly those three, each serving the snapshot's data."""

    def three(self, version):
        src = SOURCES[version]
        token = "restored-token"
        peers = {n: free_port() for n in "abc"}
        urls = {n: "http://127.0.0.1:%d" % p for n, p in peers.items()}
        ic = ",".join("%s=%s" % (n, urls[n]) for n in "abc")
        for n in "abc":
            self.assertRestored(src["snapshot"], os.path.join(self.dir, n + ".etcd"), "--name", n,
                                "--initial-cluster", ic, "--initial-cluster-token", token,
                                "--initial-advertise-peer-urls", urls[n])
        members = [self.cluster.start_etcd(version, name=n, data_dir=os.path.join(self.dir, n + ".etcd"),
                                           peer_port=peers[n], initial_cluster=ic, initial_cluster_token=token,
                                           wait=False) for n in "abc"]
        for m in members:
            m.wait_ready(timeout=60)
        endpoints = ",".join(m.endpoint for m in members)
        r = run([REAL_ETCDCTL, "--endpoints=" + endpoints, "endpoint", "health"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stderr.count(b"is healthy") + r.stdout.count(b"is healthy"), 3, r)
        ids = {n: member_id([urls[n]], token) for n in "abc"}
        want = sorted((ids[n], n, (urls[n],)) for n in "abc")
        for m in members:
            cid, got = member_list(m.endpoint)
            self.assertEqual(cid, cluster_id(ids.values()))
            self.assertEqual(got, want)
        # A write through one member is replicated; then data is equal on each (linearizable reads).
        put = members[0].put("/after-restore", "x")
        self.assertEqual(int(put["header"]["revision"]), src["revision"] + 1)
        for m in members:
            rev, kvs = get_all(m.endpoint)
            self.assertEqual(rev, src["revision"] + 1)
            self.assertEqual([kv for kv in kvs if kv["key"] != "L2FmdGVyLXJlc3RvcmU="], src["kvs"])

    def test_etcd34(self):
        self.three("3.4")

    def test_etcd35(self):
        self.three(V35)


class CrossCheck(RestoreTestBase):
    """The same snapshot restored by the real etcdctl 3.4, the real etcdutl 3.5 and by us:
    each started, the same keys and the same member/cluster IDs; our db equals etcdutl's."""

    def test_three_tools_same_result(self):
        src = SOURCES["3.4"]
        etcdutl = find_etcd(V35, "etcdutl")
        if etcdutl is None:
            self.skipTest("etcdutl %s not installed" % V35)
        flags = ["--name", "m1", "--initial-cluster", "m1=http://127.0.0.1:23901", "--initial-cluster-token", "xt",
                 "--initial-advertise-peer-urls", "http://127.0.0.1:23901"]
        dirs = {t: os.path.join(self.dir, t) for t in ("etcdctl34", "etcdutl35", "ours34", "ours35")}
        self.assertRestored(src["snapshot"], dirs["etcdctl34"], *flags, tool=REAL_ETCDCTL)
        self.assertRestored(src["snapshot"], dirs["etcdutl35"], *flags, tool=etcdutl)
        self.assertRestored(src["snapshot"], dirs["ours34"], *flags, "--etcd-version", "3.4")
        self.assertRestored(src["snapshot"], dirs["ours35"], *flags)
        # Before any etcd touches them: our db equals etcdutl's in every bucket (status hash
        # is a crc over all bucket names, keys and values), and the files are the same.
        statuses = {t: snapshot_status(etcdutl, os.path.join(d, "member", "snap", "db")) for t, d in dirs.items()}
        self.assertEqual(statuses["ours35"], statuses["etcdutl35"])
        self.assertEqual(statuses["ours34"], statuses["etcdutl35"])
        for t in ("ours34", "ours35"):
            self.assertEqual(sorted(os.listdir(os.path.join(dirs[t], "member", "snap"))),
                             sorted(os.listdir(os.path.join(dirs["etcdutl35"], "member", "snap"))))
        want_id = member_id(["http://127.0.0.1:23901"], "xt")
        results = {}
        for t, version in (("etcdctl34", "3.4"), ("etcdutl35", V35), ("ours34", "3.4"), ("ours35", V35)):
            e = self.cluster.start_etcd(version, name="m1", data_dir=dirs[t])
            results[t] = (get_all(e.endpoint), member_list(e.endpoint))
            e.stop()
        for t, ((rev, kvs), (cid, members)) in results.items():
            with self.subTest(tool=t):
                self.assertEqual(rev, src["revision"])
                self.assertEqual(kvs, src["kvs"])
                self.assertEqual(cid, cluster_id([want_id]))
                self.assertEqual(members, [(want_id, "m1", ("http://127.0.0.1:23901",))])


class Bump(RestoreTestBase):
    """--bump-revision 1000 --mark-compacted: revision + 1000, old revisions compacted for
    get and watch, new writes work, and the db equals etcdutl 3.5.30's with the same flags."""

    def bump(self, version):
        src = SOURCES[version]
        old = src["revision"]
        data = os.path.join(self.dir, "bumped.etcd")
        r = self.assertRestored(src["snapshot"], data, "--bump-revision", "1000", "--mark-compacted")
        self.assertIn(("bumped revision %d -> %d and marked it compacted" % (old, old + 1000)).encode(), r.stderr)
        etcdutl = find_etcd("3.5.30", "etcdutl")
        if etcdutl:  # 3.5.30 has --bump-revision (3.5.16 has not)
            theirs = os.path.join(self.dir, "etcdutl.etcd")
            self.assertRestored(src["snapshot"], theirs, "--bump-revision", "1000", "--mark-compacted", tool=etcdutl)
            ours_st = snapshot_status(etcdutl, os.path.join(data, "member", "snap", "db"))
            self.assertEqual(ours_st, snapshot_status(etcdutl, os.path.join(theirs, "member", "snap", "db")))
            self.assertEqual(ours_st["revision"], old + 1000)
        e = self.cluster.start_etcd(version, name="default", data_dir=data)
        self.assertSameData(e.endpoint, src, revision_delta=1000)
        flags = ["--endpoints=" + e.endpoint]
        for rev in (old, 1):
            g = run([REAL_ETCDCTL, *flags, "get", "/last", "--rev=%d" % rev])
            self.assertNotEqual(g.rc, 0, g)
            self.assertIn(b"required revision has been compacted", g.stderr)
        # The bumped revision itself is readable.
        g = run([REAL_ETCDCTL, *flags, "get", "/last", "--rev=%d" % (old + 1000), "--print-value-only"])
        self.assertEqual((g.rc, g.stdout), (0, b"last\n"), g)
        w = subprocess.run([REAL_ETCDCTL, *flags, "watch", "/last", "--rev=%d" % old], capture_output=True, timeout=20)
        self.assertIn(b"required revision has been compacted", w.stdout + w.stderr, w)
        put = e.put("/after-bump", "y")
        self.assertEqual(int(put["header"]["revision"]), old + 1001)
        g = run([REAL_ETCDCTL, *flags, "get", "/after-bump", "-w", "json"])
        self.assertIn(b'"mod_revision":%d' % (old + 1001), g.stdout)

    def test_etcd34(self):
        self.bump("3.4")

    def test_etcd35(self):
        self.bump(V35)


class RunningEtcd(RestoreTestBase):
    """A data dir (or wal dir) whose WAL is locked by a running etcd is refused, untouched."""

    def test_refuses_data_dir_of_running_etcd(self):
        for version in ("3.4", V35):
            with self.subTest(version=version):
                e = self.cluster.start_etcd(version, name="live-" + version.replace(".", ""))
                before = sorted(os.listdir(os.path.join(e.data_dir, "member")))
                parent = sorted(os.listdir(self.dir))
                r = restore(SOURCES["3.4"]["snapshot"], e.data_dir)
                self.assertEqual(r.rc, 1, r)
                self.assertIn(('Error: data-dir "%s" is in use by a running etcd (its WAL is locked)' % e.data_dir)
                              .encode(), r.stderr)
                r = restore(SOURCES["3.4"]["snapshot"], os.path.join(self.dir, "new.etcd"), "--wal-dir",
                            os.path.join(e.data_dir, "member", "wal"))
                self.assertEqual(r.rc, 1, r)
                self.assertIn(b"is in use by a running etcd", r.stderr)
                self.assertEqual(sorted(os.listdir(os.path.join(e.data_dir, "member"))), before)
                self.assertEqual(sorted(os.listdir(self.dir)), parent)
                self.assertTrue(e.is_ready())
                e.stop()
                # Once that etcd is stopped the dir is refused as non-empty (not as running).
                r = restore(SOURCES["3.4"]["snapshot"], e.data_dir)
                self.assertEqual(r.rc, 1, r)
                self.assertIn(b"exists and is not empty", r.stderr)


if __name__ == "__main__":
    unittest.main()
