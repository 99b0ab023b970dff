"""No write through a planted link (issue 10 point 6): every writer of the product, run as a
user would in a directory others can write to, against what an attacker can plant there: a
symlink to a victim file (or a dangling one), a fifo, another user's file (uid 65534, made
with os.chown: the tests run as root), and a symlink another user owns.

Writers covered: `etcdctl-ext snapshot save` (<path>.part), `etcdctl-ext snapshot restore`
(data dir, its parents and staging), `kubectl etcdrestore plan -o script` (out dir and its
files), the sidecar writer (<path>.json.tmp, through plan_write_sidecar, which calls
shared/topology's WriteSidecar as `kubectl etcdrestore save` does) and `kubectl etcdrestore
save` itself against e2e.kube's kube-apiserver (skipped, with the reason, if it cannot be built).

Each refusal must: exit non-zero with a lower-case message naming the path and what was
found, leave the victim byte- and mode-identical, leave what was planted as it was, and
leave nothing partial (no snapshot, no .part, no staging dir, no scripts). Where nothing is
planted the writers behave as before: a stale .part of our own is replaced, and a symlink at
the final snapshot path is replaced itself (never followed), as etcdctl's rename does.
"""

import os
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, Cluster, find_etcd, run  # noqa: E402
from test_restore_util import FIXTURE_SNAP  # noqa: E402

KUBECTL_ETCDRESTORE = os.environ.get("KUBECTL_ETCDRESTORE", "")
PLAN_WRITE_SIDECAR = os.environ.get("PLAN_WRITE_SIDECAR", "")
OTHER_UID = 65534  # nobody: the attacker

WORK = None
ETCD = {}


def setUpModule():
    global WORK
    if not ETCDCTL_EXT or not os.access(ETCDCTL_EXT, os.X_OK):
        raise unittest.SkipTest("ETCDCTL_EXT is not set to the built etcdctl-ext binary")
    WORK = tempfile.mkdtemp(prefix="etcdrestore-planted-links-")


def tearDownModule():
    if ETCD.get("cluster"):
        ETCD["cluster"].close()
    if WORK and not os.environ.get("ETCDRESTORE_KEEP_E2E"):
        shutil.rmtree(WORK, ignore_errors=True)


def endpoint():
    """One real etcd 3.4 for every save in this module."""
    if "endpoint" not in ETCD:
        if not find_etcd("3.4"):
            raise unittest.SkipTest("etcd 3.4 not installed")
        os.makedirs(os.path.join(WORK, "etcd"))
        c = Cluster(os.path.join(WORK, "etcd"))
        ETCD["cluster"] = c
        e = c.start_etcd("3.4", name="src")
        e.put("/registry/a", "1")
        ETCD["endpoint"] = e.endpoint
    return ETCD["endpoint"]


def snapshot_status_ok(path):
    r = run([ETCDCTL_EXT, "snapshot", "status", path, "-w", "json"])
    return r.rc == 0


class Planted(unittest.TestCase):
    """A fresh shared dir (mode 1777 like /tmp, or 0777) with a victim file beside it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=WORK)
        self.shared = os.path.join(self.dir, "shared")
        os.mkdir(self.shared)
        os.chmod(self.shared, 0o777)
        self.victim = os.path.join(self.dir, "victim")
        with open(self.victim, "wb") as f:
            f.write(b"precious")
        os.chmod(self.victim, 0o640)

    def require_root(self):
        if os.geteuid() != 0:
            self.skipTest("planting another user's file needs root (os.chown)")

    def assertVictimUntouched(self):
        with open(self.victim, "rb") as f:
            self.assertEqual(f.read(), b"precious")
        st = os.lstat(self.victim)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)

    def plant(self, path, kind):
        """Plants at path: 'symlink' (to the victim), 'dangling' (to a missing file next to the
        victim), 'fifo', 'foreign' (a file of uid 65534), 'foreign-link' (a link owned by
        65534), 'dir'. Returns a description the error must contain."""
        if kind == "symlink":
            os.symlink(self.victim, path)
            return 'a symlink to "%s"' % self.victim
        if kind == "dangling":
            target = os.path.join(self.dir, "new-victim")
            os.symlink(target, path)
            return 'a symlink to "%s"' % target
        if kind == "fifo":
            os.mkfifo(path)
            return "a fifo"
        if kind == "foreign":
            self.require_root()
            with open(path, "wb") as f:
                f.write(b"theirs")
            os.chown(path, OTHER_UID, OTHER_UID)
            return "a regular file owned by uid %d" % OTHER_UID
        if kind == "foreign-link":
            self.require_root()
            os.symlink(self.victim, path)
            os.lchown(path, OTHER_UID, OTHER_UID)
            return 'a symlink to "%s" owned by uid %d' % (self.victim, OTHER_UID)
        if kind == "dir":
            os.mkdir(path)
            return "a directory"
        raise ValueError(kind)

    def assertPlantedIntact(self, path, kind):
        st = os.lstat(path)
        if kind in ("symlink", "dangling", "foreign-link"):
            self.assertTrue(stat.S_ISLNK(st.st_mode))
        elif kind == "fifo":
            self.assertTrue(stat.S_ISFIFO(st.st_mode))
        elif kind == "foreign":
            with open(path, "rb") as f:
                self.assertEqual(f.read(), b"theirs")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "new-victim")))

    def entries(self, d=None):
        return sorted(os.listdir(d or self.shared))


class SnapshotSaveTest(Planted):
    def save(self, path):
        return run([ETCDCTL_EXT, "--endpoints=" + endpoint(), "snapshot", "save", path], timeout=60)

    def test_planted_part_is_refused(self):
        for kind in ("symlink", "dangling", "fifo", "foreign", "dir"):
            with self.subTest(kind=kind):
                if kind == "foreign" and os.geteuid() != 0:
                    continue
                target = os.path.join(self.shared, "s-%s.db" % kind)
                what = self.plant(target + ".part", kind)
                r = self.save(target)
                self.assertEqual(r.rc, 5, r)  # etcdctl's exit code for a failed save
                self.assertEqual(r.stdout, b"")
                self.assertEqual(
                    r.stderr.decode(),
                    'Error: snapshot save: stale "%s.part" is %s, not something this tool left; not removing it or '
                    "writing through it (remove it yourself if that is safe)\n" % (target, what))
                self.assertVictimUntouched()
                self.assertPlantedIntact(target + ".part", kind)
                self.assertFalse(os.path.lexists(target))

    def test_the_issue_transcript(self):
        # ln -s ../victim backups/s.db.part; etcdctl-ext snapshot save backups/s.db
        os.symlink("../victim", os.path.join(self.shared, "s.db.part"))
        r = run([ETCDCTL_EXT, "--endpoints=" + endpoint(), "snapshot", "save", "shared/s.db"], cwd=self.dir)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn(b'"shared/s.db.part" is a symlink to "../victim"', r.stderr)
        self.assertVictimUntouched()
        self.assertEqual(self.entries(), ["s.db.part"])

    def test_own_stale_part_is_replaced(self):
        # An interrupted run of ours left a .part: removed and written afresh, as etcdctl does.
        target = os.path.join(self.shared, "s.db")
        with open(target + ".part", "wb") as f:
            f.write(b"half a snapshot")
        r = self.save(target)
        self.assertEqual((r.rc, r.stdout), (0, b"Snapshot saved at %s\n" % target.encode()), r)
        self.assertEqual(self.entries(), ["s.db"])
        self.assertEqual(stat.S_IMODE(os.lstat(target).st_mode), 0o600)
        self.assertTrue(snapshot_status_ok(target))

    def test_symlink_at_final_path_is_replaced_not_followed(self):
        target = os.path.join(self.shared, "s.db")
        os.symlink(self.victim, target)
        r = self.save(target)
        self.assertEqual(r.rc, 0, r)
        st = os.lstat(target)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(st.st_uid, os.geteuid())
        self.assertVictimUntouched()
        self.assertTrue(snapshot_status_ok(target))
        self.assertEqual(self.entries(), ["s.db"])


class SnapshotRestoreTest(Planted):
    def restore(self, data_dir, cwd=None):
        if not os.path.exists(FIXTURE_SNAP):
            self.skipTest("fixture %s missing (set ETCDRESTORE_REFERENCE_DIR)" % FIXTURE_SNAP)
        return run([ETCDCTL_EXT, "snapshot", "restore", FIXTURE_SNAP, "--data-dir", data_dir], cwd=cwd)

    def test_symlinked_data_dir_is_refused(self):
        victim_dir = os.path.join(self.dir, "victim-dir")
        os.mkdir(victim_dir)  # empty: a restore would otherwise write into it
        for kind in ("mine", "foreign-link"):
            with self.subTest(kind=kind):
                link = os.path.join(self.shared, "r-%s.etcd" % kind)
                os.symlink(victim_dir, link)
                if kind == "foreign-link":
                    self.require_root()
                    os.lchown(link, OTHER_UID, OTHER_UID)
                r = self.restore(link)
                self.assertEqual(r.rc, 1, r)
                what = 'a symlink to "%s"' % victim_dir + (" owned by uid %d" % OTHER_UID if kind != "mine" else "")
                self.assertIn(('Error: data-dir "%s" is %s; not restoring through a symlink: pass the real '
                               "directory as --data-dir\n" % (link, what)).encode(), r.stderr)
                self.assertEqual(os.listdir(victim_dir), [])
        # Only the links: no staging dir, no data dir.
        self.assertEqual([e for e in self.entries() if not e.startswith("r-")], [])

    def test_foreign_link_among_parents_is_not_followed(self):
        # shared/backups -> victim-dir, planted by uid 65534; --data-dir shared/backups/new/r.etcd
        # must not create new/ (nor anything else) in victim-dir.
        self.require_root()
        victim_dir = os.path.join(self.dir, "victim-dir")
        os.mkdir(victim_dir)
        link = os.path.join(self.shared, "backups")
        os.symlink(victim_dir, link)
        os.lchown(link, OTHER_UID, OTHER_UID)
        r = self.restore(os.path.join(link, "new", "r.etcd"))
        self.assertEqual(r.rc, 1, r)
        self.assertIn(('"%s" is a symlink to "%s" owned by uid %d: a link another user may have planted; '
                       "not following it (pass the real directory)" % (link, victim_dir, OTHER_UID)).encode(),
                      r.stderr)
        self.assertEqual(os.listdir(victim_dir), [])
        self.assertEqual(self.entries(), ["backups"])

    def test_restore_without_attack_still_works(self):
        data_dir = os.path.join(self.shared, "r.etcd")
        r = self.restore(data_dir)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.entries(), ["r.etcd"])  # no staging dir left
        self.assertEqual(stat.S_IMODE(os.lstat(data_dir).st_mode), 0o700)


@unittest.skipUnless(KUBECTL_ETCDRESTORE, "KUBECTL_ETCDRESTORE is not set (run through ctest)")
class PlanScriptsTest(Planted):
    def setUp(self):
        super().setUp()
        if not os.path.exists(FIXTURE_SNAP):
            self.skipTest("fixture %s missing (set ETCDRESTORE_REFERENCE_DIR)" % FIXTURE_SNAP)
        from realnode import etcd_manifest  # noqa: E402  (the real nodes' kubeadm-shaped manifest)
        self.manifest = os.path.join(self.dir, "etcd.yaml")
        with open(self.manifest, "w") as f:
            f.write(etcd_manifest("cp1", "127.0.0.1", "cp1=https://127.0.0.1:52380", True))

    def plan(self, out_dir):
        # --members: the fixture's own member list names another member (plan cross-checks it);
        # --etcdctl-ext: the path on the nodes, so no copy of etcdctl-ext goes into the bundle.
        return run([KUBECTL_ETCDRESTORE, "plan", "--manifest", "cp1=" + self.manifest, "--manifests-dir",
                    "/etc/kubernetes/manifests", "--snapshot", FIXTURE_SNAP, "--members", "cp1", "--etcdctl-ext",
                    "/usr/local/bin/etcdctl-ext", "-o", "script", "--out-dir", out_dir])

    def test_out_dir_link_or_foreign_dir_is_refused(self):
        victim_dir = os.path.join(self.dir, "victim-dir")
        os.mkdir(victim_dir)
        for kind in ("symlink", "foreign-link", "foreign-dir", "fifo"):
            with self.subTest(kind=kind):
                out = os.path.join(self.shared, "plan-" + kind)
                if kind == "foreign-dir":
                    self.require_root()
                    os.mkdir(out)
                    os.chown(out, OTHER_UID, OTHER_UID)
                    what = "a directory owned by uid %d" % OTHER_UID
                elif kind == "fifo":
                    what = self.plant(out, "fifo")
                else:
                    os.symlink(victim_dir, out)
                    what = 'a symlink to "%s"' % victim_dir
                    if kind == "foreign-link":
                        self.require_root()
                        os.lchown(out, OTHER_UID, OTHER_UID)
                        what += " owned by uid %d" % OTHER_UID
                r = self.plan(out)
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(r.stdout, b"")
                self.assertEqual(r.stderr.decode(),
                                 'error: plan: --out-dir "%s" is %s; scripts go only into a new directory or one of '
                                 "your own (use a new --out-dir)\n" % (out, what))
                self.assertEqual(os.listdir(victim_dir), [])
                if kind == "foreign-dir":
                    self.assertEqual(os.listdir(out), [])

    def test_planted_file_inside_out_dir_is_refused_and_nothing_written(self):
        for name in ("README.md", "etcdrestore-cp1.sh", "plan.json"):
            for kind in ("symlink", "dangling", "fifo", "foreign"):
                with self.subTest(name=name, kind=kind):
                    if kind == "foreign" and os.geteuid() != 0:
                        continue
                    out = os.path.join(self.shared, "plan-%s-%s" % (name, kind))
                    os.mkdir(out)
                    what = self.plant(os.path.join(out, name), kind)
                    r = self.plan(out)
                    self.assertEqual(r.rc, 1, r)
                    self.assertEqual(r.stderr.decode(),
                                     'error: plan: "%s" exists (%s); not overwriting it (use a new --out-dir)\n'
                                     % (os.path.join(out, name), what))
                    self.assertEqual(os.listdir(out), [name])  # nothing else written
                    self.assertPlantedIntact(os.path.join(out, name), kind)
                    self.assertVictimUntouched()

    def test_new_out_dir_is_private(self):
        out = os.path.join(self.shared, "plan")
        r = self.plan(out)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(stat.S_IMODE(os.lstat(out).st_mode), 0o700)
        self.assertEqual(sorted(os.listdir(out)), ["README.md", "etcdrestore-cp1.sh", "plan.json"])
        self.assertEqual(stat.S_IMODE(os.lstat(os.path.join(out, "etcdrestore-cp1.sh")).st_mode), 0o755)


@unittest.skipUnless(PLAN_WRITE_SIDECAR, "PLAN_WRITE_SIDECAR is not set (run through ctest)")
class SidecarTest(Planted):
    """shared/topology WriteSidecar (what `kubectl etcdrestore save` calls) via plan_write_sidecar."""

    def write_sidecar(self, snapshot):
        shutil.copy(FIXTURE_SNAP, snapshot)
        manifest = os.path.join(self.dir, "etcd.yaml")
        from realnode import etcd_manifest  # noqa: E402  (the real nodes' kubeadm-shaped manifest)
        with open(manifest, "w") as f:
            f.write(etcd_manifest("cp1", "127.0.0.1", "cp1=https://127.0.0.1:52380", True))
        return run([PLAN_WRITE_SIDECAR, snapshot, "5", "2024-01-01T00:00:00Z", "/etc/kubernetes/manifests",
                    "cp1=" + manifest])

    def test_planted_tmp_is_refused(self):
        if not os.path.exists(FIXTURE_SNAP):
            self.skipTest("fixture %s missing" % FIXTURE_SNAP)
        for kind in ("symlink", "dangling", "fifo", "foreign"):
            with self.subTest(kind=kind):
                if kind == "foreign" and os.geteuid() != 0:
                    continue
                snap = os.path.join(self.shared, "s-%s.db" % kind)
                what = self.plant(snap + ".json.tmp", kind)
                r = self.write_sidecar(snap)
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(r.stderr.decode(),
                                 'error: stale "%s.json.tmp" is %s, not something this tool left; not removing it '
                                 "or writing through it (remove it yourself if that is safe)\n" % (snap, what))
                self.assertFalse(os.path.lexists(snap + ".json"))
                self.assertPlantedIntact(snap + ".json.tmp", kind)
                self.assertVictimUntouched()

    def test_link_at_sidecar_path_is_replaced_itself(self):
        if not os.path.exists(FIXTURE_SNAP):
            self.skipTest("fixture %s missing" % FIXTURE_SNAP)
        snap = os.path.join(self.shared, "s.db")
        os.symlink(self.victim, snap + ".json")
        r = self.write_sidecar(snap)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(stat.S_ISREG(os.lstat(snap + ".json").st_mode))
        self.assertVictimUntouched()
        self.assertEqual(self.entries(), ["s.db", "s.db.json"])


@unittest.skipUnless(KUBECTL_ETCDRESTORE, "KUBECTL_ETCDRESTORE is not set (run through ctest)")
class KubectlSaveTest(Planted):
    """`kubectl etcdrestore save` against a real kube-apiserver (e2e.kube's: the cached build
    of scripts/kube-apiserver.sh, waited for when CI is building it)."""

    @classmethod
    def setUpClass(cls):
        from kube_harness import KubeApiServer, kube_apiserver_binary  # noqa: E402
        try:
            os.environ["KUBE_APISERVER"] = kube_apiserver_binary()
        except RuntimeError as e:
            raise unittest.SkipTest("no kube-apiserver: %s" % str(e).splitlines()[0])
        cls.api = KubeApiServer()
        cls.api.__enter__()
        cls.api.reset_control_plane()
        cls.api.add_node("cp1")
        cls.api.add_etcd_pod("cp1", cls.api.etcd, certs_host_dir=cls.api.pki.path("etcd"))
        cls.api.add_apiserver_pod("cp1", [cls.api.etcd.client_url], pki_host_dir=cls.api.pki.dir)
        cls.api.add_kubeadm_config()

    @classmethod
    def tearDownClass(cls):
        cls.api.close()

    def save(self, path):
        return run([KUBECTL_ETCDRESTORE, "save", path], env={"KUBECONFIG": self.api.kubeconfig, "HOME": self.api.dir},
                   timeout=120)

    def test_planted_part_and_sidecar_tmp_are_refused(self):
        for suffix in (".part", ".json.tmp"):
            for kind in ("symlink", "fifo", "foreign"):
                with self.subTest(suffix=suffix, kind=kind):
                    if kind == "foreign" and os.geteuid() != 0:
                        continue
                    snap = os.path.join(self.shared, "k%s-%s.db" % (suffix, kind))
                    what = self.plant(snap + suffix, kind)
                    r = self.save(snap)
                    self.assertEqual(r.rc, 1, r)
                    self.assertIn(('stale "%s%s" is %s, not something this tool left' % (snap, suffix, what)).encode(),
                                  r.stderr)
                    self.assertFalse(os.path.lexists(snap))  # no snapshot without its sidecar
                    self.assertFalse(os.path.lexists(snap + ".json"))
                    self.assertPlantedIntact(snap + suffix, kind)
                    self.assertVictimUntouched()

    def test_link_at_snapshot_path_is_refused(self):
        snap = os.path.join(self.shared, "k.db")
        os.symlink(self.victim, snap)
        r = self.save(snap)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(('"%s" already exists (a symlink to "%s"); choose another path' % (snap, self.victim)).encode(),
                      r.stderr)
        self.assertVictimUntouched()


if __name__ == "__main__":
    unittest.main()
