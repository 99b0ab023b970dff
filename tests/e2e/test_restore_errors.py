"""etcdctl-ext snapshot restore on bad inputs, bad targets and kills: a clear error, etcdctl's
exit code (1 for restore failures, 128 for argument count / flag pair) and nothing left
behind (no data dir, no wal dir, no staging dir next to them).

Small cases use the fixture snap1.db (made by etcdctl 3.4.23); the SIGKILL and raw-db cases
use a ~64 MB snapshot saved from a real etcd 3.4 once per module. Full and read-only
filesystems are tmpfs mounts (root is needed; without it those tests fall back to an
immutable dir, or skip with the reason).
"""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, Cluster, find_etcd  # noqa: E402
from test_restore_util import FIXTURE_SNAP, ext, get_all, restore, tree, txn_put  # noqa: E402

WORK = None
BIG = {}  # snapshot, raw_db, revision, keys


def setUpModule():
    global WORK
    if not ETCDCTL_EXT or not os.access(ETCDCTL_EXT, os.X_OK):
        raise unittest.SkipTest("ETCDCTL_EXT is not set to the built etcdctl-ext binary")
    if not os.path.exists(FIXTURE_SNAP):
        raise unittest.SkipTest("fixture %s missing (set ETCDRESTORE_REFERENCE_DIR)" % FIXTURE_SNAP)
    WORK = tempfile.mkdtemp(prefix="etcdrestore-restore-errors-")


def tearDownModule():
    if WORK and not os.environ.get("ETCDRESTORE_KEEP_E2E"):
        shutil.rmtree(WORK, ignore_errors=True)


def big_snapshot():
    """A ~64 MB snapshot of a real etcd 3.4 (64 txns of 8 x 128 KB values) and a raw copy of
    that etcd's member/snap/db; made on first use."""
    if BIG:
        return BIG
    if not find_etcd("3.4"):
        raise unittest.SkipTest("etcd 3.4 not installed")
    os.makedirs(os.path.join(WORK, "big-src"))
    with Cluster(os.path.join(WORK, "big-src")) as c:
        e = c.start_etcd("3.4", name="big")
        for t in range(64):
            txn_put(e, [("/registry/big/%03d-%d" % (t, i), hashlib.sha256(b"%d" % (t * 8 + i)).hexdigest() * 2048)
                        for i in range(8)])
        BIG["revision"] = int(e.put("/last", "last")["header"]["revision"])
        BIG["snapshot"] = os.path.join(WORK, "big.db")
        r = ext("--endpoints=" + e.endpoint, "snapshot", "save", BIG["snapshot"])
        if r.rc != 0:
            raise RuntimeError("snapshot save failed: %r" % r)
        e.stop()
        BIG["raw_db"] = os.path.join(WORK, "raw-member-snap.db")
        shutil.copyfile(os.path.join(e.data_dir, "member", "snap", "db"), BIG["raw_db"])
    BIG["keys"] = 64 * 8 + 1
    return BIG


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def is_mount_allowed():
    return os.geteuid() == 0


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=self.id().rsplit(".", 1)[-1] + "-", dir=WORK)
        self.mounts = []
        os.makedirs(os.path.join(self.dir, "etcd"))
        self.cluster = Cluster(os.path.join(self.dir, "etcd"))

    def tearDown(self):
        self.cluster.close()
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], capture_output=True)
        if shutil.which("chattr"):
            subprocess.run(["chattr", "-R", "-i", self.dir], capture_output=True)

    def mount_tmpfs(self, size):
        mp = os.path.join(self.dir, "mnt%d" % len(self.mounts))
        os.makedirs(mp)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", mp], capture_output=True)
        if p.returncode != 0:
            return None, p.stderr.decode(errors="replace").strip()
        self.mounts.append(mp)
        return mp, ""

    def assertFails(self, args, rc, message, leftovers_in=None):
        """Runs `snapshot restore args...`; asserts rc, that stderr holds `message` (a str,
        or a compiled regex), and that each dir in leftovers_in has the same entries after."""
        dirs = leftovers_in or [self.dir]
        before = {d: tree(d) for d in dirs}
        r = ext("snapshot", "restore", *args)
        self.assertEqual(r.rc, rc, r)
        err = r.stderr.decode(errors="replace")
        if isinstance(message, str):
            self.assertIn(message, err)
        else:
            self.assertRegex(err, message)
        self.assertEqual(r.stdout, b"")
        for d in dirs:
            self.assertEqual(tree(d), before[d], "restore left something behind in %s" % d)
        return err


class BadSnapshots(Base):
    """Bad snapshot files: each refused before a byte is written."""

    @classmethod
    def setUpClass(cls):
        cls.src = os.path.join(WORK, "bad-inputs")
        os.makedirs(cls.src, exist_ok=True)
        with open(FIXTURE_SNAP, "rb") as f:
            good = f.read()
        assert len(good) == 20512
        db = good[:-32]
        rnd = hashlib.sha256(b"garbage").digest() * 640  # 20480 bytes
        flipped = bytearray(good)
        flipped[9000] ^= 0x01
        cls.files = {
            "missing": os.path.join(cls.src, "does-not-exist.db"),
            "empty": write(os.path.join(cls.src, "empty.db"), b""),
            "garbage_small": write(os.path.join(cls.src, "garbage-small.db"), b"not a snapshot\n" * 7),
            "garbage_hashed": write(os.path.join(cls.src, "garbage-hashed.db"), rnd + hashlib.sha256(rnd).digest()),
            "garbage_nohash": write(os.path.join(cls.src, "garbage.db"), rnd),
            "trunc": write(os.path.join(cls.src, "trunc.db"), good[:8192]),
            "trunc_hashed": write(os.path.join(cls.src, "trunc-hashed.db"), db[:8192] + hashlib.sha256(db[:8192]).digest()),
            "flipped": write(os.path.join(cls.src, "flipped.db"), bytes(flipped)),
            "nohash": write(os.path.join(cls.src, "nohash.db"), db),
        }

    def target(self):
        return os.path.join(self.dir, "out.etcd")

    def test_missing_file(self):
        p = self.files["missing"]
        self.assertFails([p, "--data-dir", self.target()], 1, 'open "%s": no such file or directory' % p)

    def test_not_a_regular_file(self):
        # A fifo used to block the restore forever in open().
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo)
        self.assertFails([fifo, "--data-dir", self.target()], 1, 'snapshot "%s" is not a regular file (a fifo)' % fifo)
        self.assertFails([self.src, "--data-dir", self.target()], 1,
                         'snapshot "%s" is not a regular file (a directory)' % self.src)
        self.assertFails(["/dev/zero", "--data-dir", self.target()], 1, "is not a regular file (a device or socket)")

    def test_zero_bytes(self):
        self.assertFails([self.files["empty"], "--data-dir", self.target()], 1,
                         "is 0 bytes: too small to be an etcd snapshot")

    def test_small_garbage(self):
        self.assertFails([self.files["garbage_small"], "--data-dir", self.target()], 1,
                         "is 105 bytes: too small to be an etcd snapshot")

    def test_garbage_with_valid_trailer(self):
        # The sha256 matches, so the bbolt checks must catch it (etcdctl 3.4 crashed here).
        self.assertFails([self.files["garbage_hashed"], "--data-dir", self.target()], 1,
                         re.compile(r"snapshot \".*garbage-hashed.db\".*invalid database"))

    def test_garbage_without_trailer(self):
        self.assertFails([self.files["garbage_nohash"], "--data-dir", self.target()], 1,
                         "snapshot missing hash but --skip-hash-check=false")
        self.assertFails([self.files["garbage_nohash"], "--data-dir", self.target(), "--skip-hash-check"], 1,
                         "invalid database")

    def test_truncated_without_trailer(self):
        self.assertFails([self.files["trunc"], "--data-dir", self.target()], 1,
                         "snapshot missing hash but --skip-hash-check=false")
        self.assertFails([self.files["trunc"], "--data-dir", self.target(), "--skip-hash-check"], 1,
                         "says the file has 5 pages of 4096 bytes, but the file has 8192 bytes (2 pages): "
                         "truncated or damaged")

    def test_truncated_with_valid_trailer(self):
        self.assertFails([self.files["trunc_hashed"], "--data-dir", self.target()], 1,
                         "says the file has 5 pages of 4096 bytes, but the file has 8224 bytes (2 pages): "
                         "truncated or damaged")

    def test_flipped_byte_is_hash_mismatch(self):
        err = self.assertFails([self.files["flipped"], "--data-dir", self.target()], 1, "expected sha256 [")
        self.assertRegex(err, r"expected sha256 \[[0-9 ]+\], got \[[0-9 ]+\]")

    def test_no_trailer_needs_skip_hash_check(self):
        self.assertFails([self.files["nohash"], "--data-dir", self.target()], 1,
                         "snapshot missing hash but --skip-hash-check=false")

    def test_dry_run_reports_the_same_errors_and_writes_nothing(self):
        self.assertFails([self.files["flipped"], "--data-dir", self.target(), "--dry-run"], 1, "expected sha256 [")
        self.assertFails([self.files["trunc_hashed"], "--data-dir", self.target(), "--dry-run"], 1, "truncated")
        before = tree(self.dir)
        r = ext("snapshot", "restore", FIXTURE_SNAP, "--data-dir", os.path.join(self.dir, "a", "b.etcd"), "--dry-run")
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"dry run: snapshot verified (sha256 ", r.stderr)
        self.assertEqual(tree(self.dir), before)


class BadFlagsAndTargets(Base):
    def test_argument_count_and_flag_pair_exit_128(self):
        t = os.path.join(self.dir, "out.etcd")
        self.assertFails(["--data-dir", t], 128, "Error: snapshot restore requires exactly one argument")
        self.assertFails([FIXTURE_SNAP, FIXTURE_SNAP, "--data-dir", t], 128,
                         "Error: snapshot restore requires exactly one argument")
        self.assertFails([FIXTURE_SNAP, "--data-dir", t, "--bump-revision", "5"], 128,
                         "Error: --mark-compacted required if --revision-bump > 0")
        self.assertFails([FIXTURE_SNAP, "--data-dir", t, "--mark-compacted"], 128,
                         "Error: --mark-compacted required if --revision-bump > 0")

    def test_bump_overflow_is_refused(self):
        # etcdutl 3.5.30 writes a negative revision here; we refuse before writing (dry run too).
        t = os.path.join(self.dir, "out.etcd")
        for extra in ([], ["--dry-run"]):
            self.assertFails([FIXTURE_SNAP, "--data-dir", t, "--bump-revision", "9223372036854775800", "--mark-compacted",
                              *extra], 1, "Error: --bump-revision 9223372036854775800 overflows the snapshot's latest "
                              "revision 11 (the sum must be at most 9223372036854775807)")

    def test_bad_urls_and_names(self):
        t = os.path.join(self.dir, "out.etcd")
        cases = [
            (["--initial-cluster", "default=localhost:2380", "--initial-advertise-peer-urls", "localhost:2380"],
             "Error: URL scheme must be http, https, unix, or unixs: localhost:2380"),
            (["--initial-cluster", "default=http://localhost:2380/x", "--initial-advertise-peer-urls",
              "http://localhost:2380/x"], "Error: URL must not contain a path: http://localhost:2380/x"),
            (["--name", "foo"], 'Error: couldn\'t find local name "foo" in the initial cluster configuration'),
            (["--initial-advertise-peer-urls", "http://127.0.0.1:2380"],
             "Error: --initial-cluster has default=http://localhost:2380 but missing from "
             "--initial-advertise-peer-urls=http://127.0.0.1:2380"),
            (["--name", "a", "--initial-cluster", "a=http://127.0.0.1:2380,b=http://127.0.0.1:2380",
              "--initial-advertise-peer-urls", "http://127.0.0.1:2380"],
             "Error: initial cluster a=http://127.0.0.1:2380,b=http://127.0.0.1:2380 has duplicate url"),
        ]
        for flags, msg in cases:
            with self.subTest(flags=flags):
                self.assertFails([FIXTURE_SNAP, "--data-dir", t, *flags], 1, msg)

    def test_existing_non_empty_data_dir_and_wal_dir(self):
        d = os.path.join(self.dir, "full.etcd")
        os.makedirs(os.path.join(d, "member"))
        self.assertFails([FIXTURE_SNAP, "--data-dir", d], 1,
                         'Error: data-dir "%s" exists and is not empty; refusing to overwrite it' % d)
        w = os.path.join(self.dir, "wal")
        os.makedirs(w)
        write(os.path.join(w, "old.wal"), b"x")
        self.assertFails([FIXTURE_SNAP, "--data-dir", os.path.join(self.dir, "new.etcd"), "--wal-dir", w], 1,
                         'Error: wal-dir "%s" exists and is not empty' % w)
        f = write(os.path.join(self.dir, "a-file"), b"x")
        self.assertFails([FIXTURE_SNAP, "--data-dir", f], 1, "exists and is not a directory")

    def test_existing_empty_data_dir_is_accepted(self):
        d = os.path.join(self.dir, "empty.etcd")
        os.makedirs(d)
        r = restore(FIXTURE_SNAP, d)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(tree(d), ["member", "member/snap", "member/snap/0000000000000001-0000000000000001.snap",
                                   "member/snap/db", "member/wal", "member/wal/0000000000000000-0000000000000000.wal"])
        self.assertEqual([n for n in os.listdir(self.dir) if "staging" in n], [])

    def test_empty_mount_point_is_accepted_and_boots(self):
        if not is_mount_allowed():
            self.skipTest("mounting a tmpfs needs root")
        mp, why = self.mount_tmpfs("300m")  # etcd preallocates a second 64 MB WAL file
        if mp is None:
            self.skipTest("cannot mount tmpfs here: " + why)
        r = restore(FIXTURE_SNAP, mp)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(sorted(os.listdir(mp)), ["member"])  # the staging dir inside is gone
        e = self.cluster.start_etcd("3.4", name="default", data_dir=mp)
        rev, kvs = get_all(e.endpoint)
        self.assertEqual((rev, len(kvs)), (11, 4))  # snap1.db: 4 live keys at revision 11


class Filesystems(Base):
    """Targets on a full and on a read-only filesystem: the error names the cause and the
    filesystem is left as it was (and has its space back)."""

    def test_full_filesystem(self):
        if not is_mount_allowed():
            self.skipTest("mounting a tmpfs needs root")
        # 2 MB: the 20 KB db fits, the 64 MB preallocated WAL does not.
        mp, why = self.mount_tmpfs("2m")
        if mp is None:
            self.skipTest("cannot mount tmpfs here: " + why)
        self.assertFails([FIXTURE_SNAP, "--data-dir", os.path.join(mp, "d.etcd")], 1, "no space left on device",
                         leftovers_in=[mp])
        # Missing parents are created for the restore and removed again when it fails.
        self.assertFails([FIXTURE_SNAP, "--data-dir", os.path.join(mp, "x", "y", "d.etcd")], 1,
                         "no space left on device", leftovers_in=[mp])
        # Separate wal dir on the full fs, data dir elsewhere: neither is left behind.
        self.assertFails([FIXTURE_SNAP, "--data-dir", os.path.join(self.dir, "d2.etcd"), "--wal-dir",
                          os.path.join(mp, "wal")], 1, "no space left on device", leftovers_in=[mp, self.dir])
        st = os.statvfs(mp)
        self.assertEqual(st.f_bfree, st.f_blocks, "space not given back")
        # 8 MB and the 64 MB snapshot: the db copy itself runs out of space.
        big = big_snapshot()
        mp2, _ = self.mount_tmpfs("8m")
        self.assertFails([big["snapshot"], "--data-dir", os.path.join(mp2, "d.etcd")], 1, "no space left on device",
                         leftovers_in=[mp2])

    def test_read_only_filesystem(self):
        if not is_mount_allowed():
            return self.immutable_dir_fallback()
        mp, why = self.mount_tmpfs("10m")
        if mp is None:
            return self.immutable_dir_fallback()
        os.makedirs(os.path.join(mp, "empty"))
        p = subprocess.run(["mount", "-o", "remount,ro", mp], capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFails([FIXTURE_SNAP, "--data-dir", os.path.join(mp, "d.etcd")], 1, "read-only file system",
                         leftovers_in=[mp])
        self.assertFails([FIXTURE_SNAP, "--data-dir", os.path.join(mp, "empty")], 1, "read-only file system",
                         leftovers_in=[mp])
        # A read-only bind mount of a writable dir.
        rw = os.path.join(self.dir, "rw")
        os.makedirs(rw)
        ro = os.path.join(self.dir, "robind")
        os.makedirs(ro)
        if subprocess.run(["mount", "--bind", "-o", "ro", rw, ro], capture_output=True).returncode == 0:
            self.mounts.append(ro)
            self.assertFails([FIXTURE_SNAP, "--data-dir", os.path.join(ro, "d.etcd")], 1, "read-only file system",
                             leftovers_in=[ro, rw])

    def immutable_dir_fallback(self):
        d = os.path.join(self.dir, "immutable")
        os.makedirs(d)
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", d], capture_output=True).returncode != 0:
            self.skipTest("neither a tmpfs mount nor chattr +i is possible here")
        self.assertFails([FIXTURE_SNAP, "--data-dir", os.path.join(d, "d.etcd")], 1, "operation not permitted",
                         leftovers_in=[d])


class KillsAndRawDb(Base):
    """SIGKILL at several points while restoring a ~64 MB snapshot: afterwards there is no
    data dir or a complete one that etcd starts from, and a rerun works. A raw
    member/snap/db restores with --skip-hash-check."""

    def test_sigkill_at_several_points(self):
        big = big_snapshot()
        # How long a whole restore takes here, to spread the kills over it.
        t0 = time.monotonic()
        r = restore(big["snapshot"], os.path.join(self.dir, "timing.etcd"))
        full = time.monotonic() - t0
        self.assertEqual(r.rc, 0, r)
        booted = False
        outcomes = []
        # Kill points: right at the start, and when a step's --debug line appears (plus a delay
        # into the step); "rename": as soon as the data dir appears, before the process is done.
        points = [(None, 0.0), ("copying", 0.0), ("copying", 0.3 * full), ("checking", 0.0), ("membership", 0.0),
                  ("WAL", 0.0), ("WAL", 0.02), ("moving", 0.0), ("moving", 0.002), ("rename", 0.0)]
        for i, (step, delay) in enumerate(points):
            target = os.path.join(self.dir, "k%d.etcd" % i)
            if i % 2:
                os.makedirs(target)  # an existing empty dir (mount point style) half of the time
            p = subprocess.Popen([ETCDCTL_EXT, "--debug", "snapshot", "restore", big["snapshot"], "--data-dir",
                                  target], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            seen = []
            if step == "rename":
                deadline = time.monotonic() + 30
                while not os.path.isdir(os.path.join(target, "member")) and time.monotonic() < deadline:
                    time.sleep(0.0005)
            elif step is not None:
                for line in p.stderr:
                    seen.append(line)
                    if re.match(rb"\[ *[0-9.]+s\] .*" + step.encode(), line):
                        break
                time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            p.wait()
            seen += p.stderr.read().splitlines()
            p.stderr.close()
            complete = os.path.isdir(os.path.join(target, "member"))
            if not any(b"moving the data dir into place" in line for line in seen):
                # Whatever the disk's speed: before the last step started, no data dir.
                self.assertFalse(complete, "a kill before the last step left a data dir (point %s)" % step)
            outcomes.append(("%s+%.3fs" % (step or "start", delay), complete))
            if complete:
                self.assertCompleteDataDir(target, big)
                if not booted:  # one boot proves the layout; the file checks cover the rest
                    e = self.cluster.start_etcd("3.4", name="default", data_dir=target)
                    rev, kvs = get_all(e.endpoint)
                    self.assertEqual((rev, len(kvs)), (big["revision"], big["keys"]))
                    e.stop()
                    booted = True
                r2 = restore(big["snapshot"], target)
                self.assertEqual(r2.rc, 1, r2)  # complete: refused as non-empty, untouched
            else:
                # Only a SIGKILLed run's staging dir may remain (the next run removes it).
                if i % 2:
                    self.assertEqual([n for n in os.listdir(target) if "staging" not in n], [],
                                     "a killed restore left a partial data dir")
                else:
                    self.assertFalse(os.path.exists(target), "a killed restore left a partial data dir")
                r2 = restore(big["snapshot"], target)
                self.assertEqual(r2.rc, 0, r2)
                self.assertCompleteDataDir(target, big)
            # The rerun removed the killed run's staging dir (beside or inside the target).
            self.assertEqual([n for n in os.listdir(self.dir) if "staging" in n], [])
            self.assertEqual([n for n in os.listdir(target) if "staging" in n], [])
        print("\nkill outcomes (point, complete) over a %.3fs restore: %s" % (full, outcomes), file=sys.stderr)
        self.assertIn(False, [c for _, c in outcomes], "every kill came after the end: nothing was tested")
        self.assertTrue(outcomes[-1][1], "the kill after the rename found no data dir")

    def test_signals_with_separate_wal_dir(self):
        """The wal dir is placed first: a SIGTERM (handled) or SIGKILL must never leave it
        populated without the data dir (a rerun would then refuse the wal dir)."""
        big = big_snapshot()
        wal_file = "0000000000000000-0000000000000000.wal"
        outcomes = []
        for i, (sig, step, delay) in enumerate([(signal.SIGTERM, "copying", 0.05), (signal.SIGTERM, "moving", 0.0),
                                                (signal.SIGTERM, "moving", 0.005), (signal.SIGKILL, "moving", 0.005)]):
            data, wal = os.path.join(self.dir, "s%d.etcd" % i), os.path.join(self.dir, "s%d.wal" % i)
            p = subprocess.Popen([ETCDCTL_EXT, "--debug", "snapshot", "restore", big["snapshot"], "--data-dir", data,
                                  "--wal-dir", wal], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for line in p.stderr:
                if re.match(rb"\[ *[0-9.]+s\] .*" + step.encode(), line):
                    break
            time.sleep(delay)
            p.send_signal(sig)
            p.wait()
            p.stderr.close()
            complete = os.path.isdir(data)
            outcomes.append((sig.name, step, delay, p.returncode, complete))
            if complete:
                self.assertEqual(os.listdir(wal), [wal_file])
                self.assertEqual(os.path.getsize(os.path.join(wal, wal_file)), 64 * 1000 * 1000)
                continue
            self.assertFalse(os.path.exists(wal) and os.listdir(wal), "wal dir left without a data dir: %s" % wal)
            if sig == signal.SIGTERM:  # handled: nothing at all is left, not even a staging dir
                self.assertEqual(p.returncode, -signal.SIGTERM)
                self.assertEqual([n for n in os.listdir(self.dir) if n.startswith(".s%d." % i)], [])
            r = restore(big["snapshot"], data, "--wal-dir", wal)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(os.listdir(wal), [wal_file])
            self.assertEqual([n for n in os.listdir(self.dir) if "staging" in n], [])
        print("\nsignal outcomes (signal, step, delay, rc, complete): %s" % outcomes, file=sys.stderr)

    def assertCompleteDataDir(self, d, big):
        self.assertEqual(tree(d), ["member", "member/snap", "member/snap/0000000000000001-0000000000000001.snap",
                                   "member/snap/db", "member/wal", "member/wal/0000000000000000-0000000000000000.wal"])
        # The db edits append a few pages at the end (copy-on-write), never drop any.
        self.assertGreaterEqual(os.path.getsize(os.path.join(d, "member/snap/db")), os.path.getsize(big["snapshot"]) - 32)
        self.assertEqual(os.path.getsize(os.path.join(d, "member/wal/0000000000000000-0000000000000000.wal")),
                         64 * 1000 * 1000)

    def test_raw_db_from_a_data_dir(self):
        big = big_snapshot()
        d = os.path.join(self.dir, "raw.etcd")
        self.assertFails([big["raw_db"], "--data-dir", d], 1, "snapshot missing hash but --skip-hash-check=false")
        r = restore(big["raw_db"], d, "--skip-hash-check")
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"sha256 not checked (--skip-hash-check)", r.stderr)
        e = self.cluster.start_etcd("3.4", name="default", data_dir=d)
        rev, kvs = get_all(e.endpoint)
        self.assertEqual((rev, len(kvs)), (big["revision"], big["keys"]))


if __name__ == "__main__":
    unittest.main()
