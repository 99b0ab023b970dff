"""Offline `defrag --data-dir`: etcdctl-ext (as etcdctl 3.4.23) and etcdctl-ext invoked as
`etcdutl` (as etcdutl 3.5.30) against the real etcdctl 3.4.23 and etcdutl 3.5.30.

For data dirs made by real etcd 3.4.23 and 3.5.30 (values around the 4 KiB page, overflow
values, rewrites, deletes and a physical compaction, so there is free space to reclaim),
each tool defragments its own copy; then a REAL etcd of the same version is started on
every result and must serve the same `endpoint hashkv` (hash, compact revision), revision
and key count as before, and accept writes. Our file must be no larger than the real
tools' (their in-use size plus one page). stdout and exit codes equal the real tools'.

Deliberate differences (etcdctl-ext/defrag_offline.h): while etcd runs on the dir, the real
tools wait for it without end; we refuse at once (exit 1, nothing changed). Where the real
tools panic (missing dir, not a bbolt file: exit 2) we print one Error line (exit 2).
etcdutl's log lines on stderr are not compared (timestamps, durations).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, REAL_ETCDCTL, Cluster, find_etcd, run  # noqa: E402

VERSIONS = ("3.4", "3.5.30")


def setUpModule():
    global WORK, UTL, REAL_UTL, CTL35
    if not ETCDCTL_EXT or not os.access(ETCDCTL_EXT, os.X_OK):
        raise unittest.SkipTest("ETCDCTL_EXT is not set to the built etcdctl-ext binary")
    REAL_UTL = find_etcd("3.5.30", "etcdutl")
    CTL35 = find_etcd("3.5.30", "etcdctl")
    if REAL_UTL is None or find_etcd("3.5.30") is None:
        raise unittest.SkipTest("etcd/etcdutl 3.5.30 not installed (scripts/install-deps.sh)")
    WORK = tempfile.mkdtemp(prefix="etcdrestore-defrag-")
    os.mkdir(os.path.join(WORK, "bin"))
    UTL = os.path.join(WORK, "bin", "etcdutl")
    os.symlink(os.path.abspath(ETCDCTL_EXT), UTL)


def tearDownModule():
    if not os.environ.get("ETCDRESTORE_KEEP_E2E"):
        shutil.rmtree(WORK, ignore_errors=True)


def ctl_for(version):
    return REAL_ETCDCTL if version == "3.4" else CTL35


def facts(version, etcd):
    """(hashkv hash, compact revision, revision, key count) as the running member reports them."""
    ctl = lambda *a: run([ctl_for(version), "--endpoints", etcd.endpoint, *a])
    r = ctl("endpoint", "hashkv", "-w", "json")
    assert r.rc == 0, r
    h = json.loads(r.stdout)[0]["HashKV"]
    c = ctl("get", "/", "--prefix", "--limit", "1", "-w", "json")  # "count": all keys under "/"
    assert c.rc == 0, c
    return h["hash"], h["compact_revision"], h["header"]["revision"], json.loads(c.stdout).get("count", 0)


def in_use(db):
    """The db's in-use size (pgid * page size) as etcdutl 3.5.30 reports it."""
    r = run([REAL_UTL, "snapshot", "status", "-w", "json", db])
    assert r.rc == 0, r
    return json.loads(r.stdout)["totalSize"]


class Defrag(unittest.TestCase):
    def make_dir(self, version, c):
        e = c.start_etcd(version, name="src-" + version.replace(".", ""))
        ctl = lambda *a: run([ctl_for(version), "--endpoints", e.endpoint, *a])
        for i in range(600):
            e.put("/registry/a/%05d" % i, ("a%d" % i).ljust(3900 + (i * 7) % 400, "x"))
        for i in range(3):
            e.put("/registry/big/%d" % i, "b" * (200000 + i))
        for i in range(0, 600, 2):
            e.put("/registry/a/%05d" % i, "rewritten-%d" % i)
        self.assertEqual(0, ctl("del", "/registry/a/001", "--prefix").rc)
        rev = json.loads(ctl("get", "x", "-w", "json").stdout)["header"]["revision"]
        self.assertEqual(0, ctl("compaction", "--physical", str(rev)).rc)
        for i in range(50):
            e.put("/registry/after/%03d" % i, "v%d" % i)
        want = facts(version, e)
        e.stop()
        return e.data_dir, want

    def serve(self, version, c, data_dir, tag):
        e = c.start_etcd(version, name="src-" + version.replace(".", ""), data_dir=data_dir)
        got = facts(version, e)
        self.assertEqual(0, run([ctl_for(version), "--endpoints", e.endpoint, "put", "/after-defrag", tag]).rc)
        e.stop()
        return got

    def test_real_etcd_serves_the_result(self):
        for version in VERSIONS:
            with self.subTest(version=version), Cluster() as c:
                src, want = self.make_dir(version, c)
                db = lambda d: os.path.join(d, "member/snap/db")
                before = os.path.getsize(db(src))
                tools = {"etcdctl": [REAL_ETCDCTL], "etcdutl": [REAL_UTL],
                         "ext": [ETCDCTL_EXT], "ext-utl": [UTL]}
                sizes, in_use_sizes = {}, {}
                for name, tool in tools.items():
                    d = os.path.join(c.dir, "copy-" + name)
                    shutil.copytree(src, d)
                    r = run([*tool, "defrag", "--data-dir", d], timeout=120)
                    self.assertEqual((0, b""), (r.rc, r.stdout), "%s: %r" % (name, r))
                    sizes[name], in_use_sizes[name] = os.path.getsize(db(d)), in_use(db(d))
                    if name == "ext":
                        self.assertEqual(b"", r.stderr)  # etcdctl 3.4 prints nothing either
                    st = os.stat(db(d))
                    self.assertEqual(0o600, st.st_mode & 0o777)
                    self.assertFalse(os.path.exists(db(d) + ".defrag.tmp"))
                    self.assertEqual(want, self.serve(version, c, d, name), "%s on etcd %s" % (name, version))
                # Sizes (measured before etcd ran on the copies): ours no larger than the real
                # tools' in-use size (plus a page); our file has no slack beyond it.
                real = min(in_use_sizes["etcdctl"], in_use_sizes["etcdutl"])
                for n in ("ext", "ext-utl"):
                    self.assertEqual(sizes[n], in_use_sizes[n])
                    self.assertLessEqual(sizes[n], real + 4096, sizes)
                self.assertLess(sizes["ext"] * 2, before, (before, sizes))
                print("\n  etcd %s: %d bytes before; after: files %s, in use %s" % (version, before, sizes, in_use_sizes),
                      file=sys.stderr)

    def test_refuses_a_dir_etcd_runs_on(self):
        with Cluster() as c:
            e = c.start_etcd("3.5.30", name="running")
            e.put("/k", "v")
            db = os.path.join(e.data_dir, "member/snap/db")
            ino = os.stat(db).st_ino
            for tool, prefix in ((ETCDCTL_EXT, b"Error: etcd is running on "),
                                 (UTL, b"Error: Failed to defragment etcd data[")):
                r = run([tool, "defrag", "--data-dir", e.data_dir], timeout=20)
                self.assertEqual((1, b""), (r.rc, r.stdout), r)
                self.assertTrue(r.stderr.startswith(prefix), r)
                self.assertIn(b"WAL file under it is locked", r.stderr)
                self.assertEqual(ino, os.stat(db).st_ino)
                self.assertFalse(os.path.exists(db + ".defrag.tmp"))
            self.assertTrue(e.is_ready())
        # etcd with its WAL elsewhere (--wal-dir): no WAL under the data dir, the db's own lock refuses.
        with Cluster() as c:
            e = c.start_etcd("3.5.30", name="walelsewhere", extra_args=["--wal-dir", os.path.join(c.dir, "wal")])
            db = os.path.join(e.data_dir, "member/snap/db")
            ino = os.stat(db).st_ino
            r = run([ETCDCTL_EXT, "defrag", "--data-dir", e.data_dir], timeout=20)
            self.assertEqual((1, b""), (r.rc, r.stdout), r)
            self.assertIn(b"is locked by another process", r.stderr)
            self.assertEqual(ino, os.stat(db).st_ino)
            self.assertFalse(os.path.exists(db + ".defrag.tmp"))

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"), "needs root and unshare for a private tmpfs")
    def test_refuses_without_free_space(self):
        """A db on a file system without room for the copy: refused before anything is
        written (exit 1, the sizes named), the db byte for byte as it was, no temporary left.
        The file system is a real tmpfs sized to the db plus 16 KiB, mounted in a private
        mount namespace (unshare -m), so nothing outside the test sees it."""
        mnt = tempfile.mkdtemp(prefix="full-", dir=WORK)
        db = mnt + ".db"
        with Cluster() as c:
            data_dir, _ = self.make_dir("3.5.30", c)
            shutil.copy(os.path.join(data_dir, "member", "snap", "db"), db)
        size = os.path.getsize(db)
        for tool in (ETCDCTL_EXT, UTL):
            script = (
                'set -e; mount -t tmpfs -o size=%d,mode=0700 tmpfs "$1"; mkdir -p "$1/d/member/snap" "$1/d/member/wal"; '
                'cp "$2" "$1/d/member/snap/db"; before=$(sha256sum < "$1/d/member/snap/db"); '
                'rc=0; "$3" defrag --data-dir "$1/d" || rc=$?; '
                'after=$(sha256sum < "$1/d/member/snap/db"); [ "$before" = "$after" ] || { echo CHANGED; exit 9; }; '
                'ls -A "$1/d/member/snap"; exit $rc') % (size + 16384)
            r = run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", mnt, db, tool], timeout=60)
            self.assertEqual(1, r.rc, r)
            self.assertEqual(b"db\n", r.stdout, r)  # unchanged, and no .defrag.tmp beside it
            self.assertIn(b"not enough free space", r.stderr, r)
            # what the copy needs is the db's in-use size (pgid * page size), not its file size
            self.assertIn(b"needs up to %d bytes" % in_use(db), r.stderr, r)

    def test_errors_as_the_real_tools(self):
        with open(os.path.join(WORK, "garbage"), "wb") as f:
            f.write(b"not a bbolt file\n")
        os.makedirs(os.path.join(WORK, "bad/member/snap"))
        shutil.copy(os.path.join(WORK, "garbage"), os.path.join(WORK, "bad/member/snap/db"))
        for real, ours in ((REAL_ETCDCTL, ETCDCTL_EXT), (REAL_UTL, UTL)):
            for d in ("nonexistent", "bad"):
                with self.subTest(tool=ours, dir=d):
                    theirs = run([real, "defrag", "--data-dir", d], cwd=WORK)
                    mine = run([ours, "defrag", "--data-dir", d], cwd=WORK)
                    self.assertEqual((theirs.rc, theirs.stdout), (mine.rc, mine.stdout), (theirs, mine))
                    self.assertEqual(2, mine.rc)
                    self.assertIn(b"cannot open database at " + d.encode() + b"/member/snap/db", mine.stderr)
                    self.assertEqual(1, mine.stderr.count(b"\n"), mine)
            with open(os.path.join(WORK, "bad/member/snap/db"), "rb") as f:
                self.assertEqual(b"not a bbolt file\n", f.read())
            # An existing member/snap without a db: both create an empty db (bbolt's Open does).
            for tool in (real, ours):
                d = os.path.join(WORK, "empty-%d" % len(os.listdir(WORK)))
                os.makedirs(os.path.join(d, "member/snap"))
                r = run([tool, "defrag", "--data-dir", d])
                self.assertEqual((0, b""), (r.rc, r.stdout), r)
                st = run([REAL_UTL, "snapshot", "status", "-w", "json", os.path.join(d, "member/snap/db")])
                self.assertEqual(0, st.rc, st)
                self.assertEqual(0, json.loads(st.stdout)["totalKey"])
        # etcdutl's flag check, byte for byte.
        theirs, mine = run([REAL_UTL, "defrag"]), run([UTL, "defrag"])
        self.assertEqual((theirs.rc, theirs.stdout, theirs.stderr), (mine.rc, mine.stdout, mine.stderr))


if __name__ == "__main__":
    unittest.main()
