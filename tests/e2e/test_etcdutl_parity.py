"""etcdctl-ext invoked as `etcdutl` (a symlink) vs the real etcdutl 3.5.30 (Debian sid, unpacked
under $ETCD35_DIR/sid; the test skips without it).

Both run the same command line; stdout bytes and exit codes must be equal, and stderr too
where etcdutl's stderr is only cobra's texts (usage and flag errors, unknown commands).
Where the real tool logs (restore) or panics (defrag of a missing dir), only the exit code
class and the "Error:" line are compared.

Known, deliberate differences:
  - Debian's etcdutl 3.5.30 draws `-w table` with Unicode box characters (Debian builds it
    with a newer tablewriter); upstream etcdutl and etcdctl 3.4 draw ASCII `+---+` tables.
    We match upstream: the real output is converted to ASCII before comparing.
  - the root's command list has one more line, etcdutl 3.6's `hashkv` (compared against a
    real etcd's `endpoint hashkv` instead);
  - our restore's --dry-run and --etcd-version work but are hidden from etcdutl's help;
  - backup and check v2store fail loudly (Error, exit 4) after etcdutl's own flag checks
    instead of doing the work; defrag works (tests/e2e/test_defrag.py).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, Cluster, find_etcd, run  # noqa: E402

REFERENCE = os.environ.get("ETCDRESTORE_REFERENCE_DIR", "/work/shared")
SNAP1 = os.path.join(REFERENCE, "fixtures/etcd-3.4.23/snap1.db")
BOX = {"┌": "+", "┬": "+", "┐": "+", "├": "+", "┼": "+", "┤": "+", "└": "+", "┴": "+", "┘": "+",
       "─": "-", "│": "|"}


def ascii_table(data):
    s = data.decode()
    for k, v in BOX.items():
        s = s.replace(k, v)
    return s.encode()


def setUpModule():
    global REAL, OURS, WORK
    if not ETCDCTL_EXT or not os.access(ETCDCTL_EXT, os.X_OK):
        raise unittest.SkipTest("ETCDCTL_EXT is not set to the built etcdctl-ext binary")
    REAL = find_etcd("3.5.30", "etcdutl")
    if REAL is None:
        raise unittest.SkipTest("etcdutl 3.5.30 not installed (scripts/install-deps.sh; see docs/etcd-3.5.md)")
    WORK = tempfile.mkdtemp(prefix="etcdrestore-etcdutl-")
    os.mkdir(os.path.join(WORK, "bin"))
    OURS = os.path.join(WORK, "bin", "etcdutl")
    os.symlink(os.path.abspath(ETCDCTL_EXT), OURS)
    shutil.copy(SNAP1, os.path.join(WORK, "snap1.db"))


def tearDownModule():
    if not os.environ.get("ETCDRESTORE_KEEP_E2E"):
        shutil.rmtree(WORK, ignore_errors=True)


def error_lines(data):
    return [l for l in data.splitlines() if l.startswith(b"Error:")]


class EtcdutlParity(unittest.TestCase):
    def both(self, *args, cwd=None):
        cwd = cwd or WORK
        return run([REAL, *args], cwd=cwd), run([OURS, *args], cwd=cwd)

    def assertSame(self, args, stderr=True, table=False, cwd=None):
        real, ours = self.both(*args, cwd=cwd)
        want = ascii_table(real.stdout) if table else real.stdout
        self.assertEqual(want, ours.stdout, "stdout of etcdutl %s" % " ".join(args))
        self.assertEqual(real.rc, ours.rc, "rc of etcdutl %s: %r" % (" ".join(args), ours))
        if stderr:
            self.assertEqual(real.stderr, ours.stderr, "stderr of etcdutl %s" % " ".join(args))
        else:
            self.assertEqual(error_lines(real.stderr), error_lines(ours.stderr), " ".join(args))
        return real, ours

    def test_version(self):
        self.assertSame(["version"])
        self.assertSame(["-w", "json", "version"])
        self.assertSame(["version", "extra"])

    def test_help_and_groups(self):
        for args in (["snapshot"], ["snapshot", "--help"], ["snapshot", "bogus"], ["snapshot", "status", "--help"],
                     ["version", "--help"], ["defrag", "--help"], ["backup", "--help"], ["check"],
                     ["check", "v2store", "--help"], ["help", "snapshot", "status"], ["completion", "--help"]):
            self.assertSame(args)
        real, ours = self.both("--help")
        self.assertEqual(real.rc, ours.rc)
        hashkv = b"  hashkv      Prints the KV history hash of a given file\n"
        self.assertIn(hashkv, ours.stdout)
        self.assertEqual(real.stdout, ours.stdout.replace(hashkv, b""))
        self.assertSame(["snapshot", "restore", "--help"])

    def test_unknown(self):
        for args in (["bogus"], ["snapshots"], ["snapshot", "status", "snap1.db", "--bogus"], ["version", "--rev"]):
            self.assertSame(args)
        # cobra's unknown help topic: the message and the root's usage, all on stderr.
        real, ours = self.both("help", "bogus", "extra")
        self.assertEqual((real.rc, real.stdout), (ours.rc, ours.stdout))
        hashkv = b"  hashkv      Prints the KV history hash of a given file\n"
        self.assertEqual(real.stderr, ours.stderr.replace(hashkv, b""))

    def test_snapshot_status(self):
        for fmt in ("simple", "json", "fields", "table", "protobuf", "yaml"):
            self.assertSame(["snapshot", "status", "snap1.db", "-w", fmt], table=fmt == "table")
            self.assertSame(["-w", fmt, "snapshot", "status", "nonexist.db"])
        self.assertSame(["snapshot", "status"])
        self.assertSame(["snapshot", "status", "a", "b"])
        self.assertSame(["snapshot", "status", "nonexist.db"])
        with open(os.path.join(WORK, "garbage.db"), "w") as f:
            f.write("hello\n")
        real, ours = self.both("snapshot", "status", "garbage.db")
        self.assertEqual((real.rc, real.stdout), (ours.rc, ours.stdout))
        self.assertTrue(ours.stderr.startswith(b"Error: "), ours)

    def test_restore(self):
        # Errors etcdutl reports before logging anything.
        for args in (["snapshot", "restore", "snap1.db"], ["snapshot", "restore"],
                     ["snapshot", "restore", "--data-dir", "x1"], ["snapshot", "restore", "a", "b", "--data-dir", "x1"],
                     ["snapshot", "restore", "snap1.db", "--data-dir", "x1", "--bump-revision", "5"]):
            self.assertSame(args)
        # Errors of the restore engine: same exit code and stdout; our messages name absolute paths.
        for args, word in ((["snapshot", "restore", "nonexist.db", "--data-dir", "x2"], b"nonexist.db"),
                           (["snapshot", "restore", "snap1.db", "--data-dir", "x3", "--name", "x"], b'"x"')):
            real, ours = self.both(*args)
            self.assertEqual((1, b""), (real.rc, real.stdout))
            self.assertEqual((1, b""), (ours.rc, ours.stdout), ours)
            self.assertTrue(any(word in l for l in error_lines(ours.stderr)), ours)
            self.assertFalse(os.path.exists(os.path.join(WORK, args[4], "member")))
        # The same restore by both: same files, same db content (snapshot status hash over every k/v).
        for extra in ([], ["--name", "m1", "--initial-cluster", "m1=http://10.0.0.1:2380,m2=http://10.0.0.2:2380",
                           "--initial-advertise-peer-urls", "http://10.0.0.1:2380", "--initial-cluster-token", "t"],
                      ["--bump-revision", "100", "--mark-compacted"]):
            tag = str(len(extra))
            real = run([REAL, "snapshot", "restore", "snap1.db", "--data-dir", "real" + tag, *extra], cwd=WORK)
            ours = run([OURS, "snapshot", "restore", "snap1.db", "--data-dir", "ours" + tag, *extra], cwd=WORK)
            self.assertEqual((0, b""), (real.rc, real.stdout), real)
            self.assertEqual((0, b""), (ours.rc, ours.stdout), ours)
            files = lambda d: sorted(os.path.relpath(os.path.join(r, f), os.path.join(WORK, d))
                                     for r, _, fs in os.walk(os.path.join(WORK, d)) for f in fs)
            self.assertEqual(files("real" + tag), files("ours" + tag))
            for tool in (REAL, OURS):
                a = run([tool, "snapshot", "status", "-w", "json", "real%s/member/snap/db" % tag], cwd=WORK)
                b = run([tool, "snapshot", "status", "-w", "json", "ours%s/member/snap/db" % tag], cwd=WORK)
                # Same content (hash over every bucket, key and value); the size may differ: our
                # editor appends its pages where bbolt reuses free ones.
                self.assertEqual(0, b.rc, b)
                content = lambda r: {k: v for k, v in json.loads(r.stdout).items() if k != "totalSize"}
                self.assertEqual(content(a), content(b))
            # Restoring into the now non-empty dir fails in both (ours says more).
            real, ours = self.both("snapshot", "restore", "snap1.db", "--data-dir", "ours" + tag)
            self.assertEqual((1, 1, b"", b""), (real.rc, ours.rc, real.stdout, ours.stdout), ours)
            self.assertTrue(ours.stderr.startswith(b"Error: "), ours)

    def test_refused_loudly(self):
        # etcdutl's own flag checks first, byte for byte.
        for args in (["defrag"], ["backup"], ["backup", "--data-dir", "d"], ["check", "v2store"]):
            self.assertSame(args)
        # Then a loud refusal, never a silent success (and nothing written).
        os.makedirs(os.path.join(WORK, "dd/member/snap"), exist_ok=True)
        for args in (["backup", "--data-dir", "dd", "--backup-dir", "bk"],
                     ["check", "v2store", "--data-dir", "dd"], ["completion", "bash"]):
            ours = run([OURS, *args], cwd=WORK)
            self.assertEqual((4, b""), (ours.rc, ours.stdout), ours)
            self.assertRegex(ours.stderr, rb"^Error: .*not implemented")
        self.assertFalse(os.path.exists(os.path.join(WORK, "bk")))


class HashKV(unittest.TestCase):
    """`etcdutl hashkv` (3.6's command) against a real etcd 3.5.30's `endpoint hashkv` over the same data."""

    def test_hashkv_equals_server(self):
        etcdctl = find_etcd("3.5.30", "etcdctl")
        with Cluster() as c:
            e = c.start_etcd("3.5.30")
            ctl = lambda *a: run([etcdctl, "--endpoints", e.endpoint, *a])
            for i in range(20):
                e.put("/k/%02d" % (i % 7), "v%d" % i)
            ctl("del", "/k/03")
            ctl("del", "/k/04")
            self.assertEqual(0, ctl("compaction", "--physical", "15").rc)
            for i in range(5):
                e.put("/k/%02d" % (i + 3), "w%d" % i)
            ctl("del", "/k/00")

            def server(rev):
                r = ctl("endpoint", "hashkv", "-w", "json", "--rev", str(rev))
                self.assertEqual(0, r.rc, r)
                h = json.loads(r.stdout)[0]["HashKV"]
                return h["hash"], h["header"]["revision"], h["compact_revision"]

            snap = os.path.join(c.dir, "s.db")
            self.assertEqual(0, ctl("snapshot", "save", snap).rc)
            head = ctl("get", "/", "-w", "json")
            current = json.loads(head.stdout)["header"]["revision"]
            # Not rev 15: at a compaction's revision the server answers from the hash it stored
            # while compacting (compact revision -1, the removed revisions included); an
            # offline hash, like etcdutl 3.6's, cannot see those any more.
            for rev in (0, 16, 17, 20, current):
                want_hash, _, want_compact = server(rev)
                ours = run([ETCDCTL_EXT_AS_UTL(), "hashkv", snap, "--rev", str(rev), "-w", "json"])
                self.assertEqual(0, ours.rc, ours)
                got = json.loads(ours.stdout)
                self.assertEqual((want_hash, want_compact), (got["hash"], got["compactRevision"]), "rev %d" % rev)
                self.assertEqual(rev or current, got["hashRevision"])
            simple = run([ETCDCTL_EXT_AS_UTL(), "hashkv", snap])
            self.assertEqual("%d, %d, %d\n" % (server(0)[0], current, 15), simple.stdout.decode())
            # etcd's errors.
            r = run([ETCDCTL_EXT_AS_UTL(), "hashkv", snap, "--rev", "3"])
            self.assertEqual((1, b"Error: mvcc: required revision has been compacted\n"), (r.rc, r.stderr))
            r = run([ETCDCTL_EXT_AS_UTL(), "hashkv", snap, "--rev", str(current + 1)])
            self.assertEqual((1, b"Error: mvcc: required revision is a future revision\n"), (r.rc, r.stderr))
            r = run([ETCDCTL_EXT_AS_UTL(), "hashkv"])
            self.assertEqual(1, r.rc)
            self.assertTrue(r.stderr.startswith(b"Error: accepts 1 arg(s), received 0\nUsage:\n"), r)
            table = run([ETCDCTL_EXT_AS_UTL(), "hashkv", snap, "-w", "table"])
            self.assertIn(b"| HASH | HASH REVISION | COMPACT REVISION |", re.sub(rb" +", b" ", table.stdout))
            # The stopped member's own db gives the same hash.
            want = server(0)[0]
            e.stop()
            ours = run([ETCDCTL_EXT_AS_UTL(), "hashkv", os.path.join(e.data_dir, "member/snap/db"), "-w", "json"])
            self.assertEqual(want, json.loads(ours.stdout)["hash"], ours)


def ETCDCTL_EXT_AS_UTL():
    return OURS


if __name__ == "__main__":
    unittest.main()
