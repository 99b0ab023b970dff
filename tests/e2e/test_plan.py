"""e2e: `kubectl etcdrestore plan` scripts EXECUTED against three fake control-plane nodes.

Each node is a directory tree under a test root (its HOST_ROOT): a static pod dir with a
kubeadm-shaped etcd.yaml (https clients with the harness's certs, etcd-data hostPath) plus a
kube-scheduler.yaml, the PKI, and the data dir. The kubelet and crictl of each node are the
python test doubles of fake_node.py: the fake kubelet starts and stops REAL etcd from the
manifests it finds, so moving a manifest out really stops etcd, and a re-pointed manifest
really starts etcd on the restored dir.

Scenario: start the 3-member cluster, write keys, `etcdctl-ext snapshot save`, change the
keys, write the sidecar (plan_write_sidecar, shared/topology's writer), make the plan,
then run every phase of the generated scripts node by node. The cluster must come back
healthy with the three planned members and the snapshot's data, the revision bumped, the
old data dirs kept, and no copy of a manifest left in the manifests dirs.

Runs with etcd 3.4.23 and 3.5 (etcdctl-ext restore from the sidecar), and once with
--restore-tool etcdutl run by the real etcdutl 3.5 (from copied manifests). Refusals: a
snapshot whose hash differs, a node missing from the input, a manifest without the etcd-data
volume (at plan time and on the node), each an error before anything is touched.

Env: ETCDCTL_EXT, KUBECTL_ETCDRESTORE, PLAN_WRITE_SIDECAR (set by ctest).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, find_etcd, free_port, make_certs, run  # noqa: E402

KUBECTL_ETCDRESTORE = os.environ.get("KUBECTL_ETCDRESTORE", "")
PLAN_WRITE_SIDECAR = os.environ.get("PLAN_WRITE_SIDECAR", "")
FAKE_NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_node.py")
MANIFESTS = "/etc/kubernetes/manifests"
PKI = "/etc/kubernetes/pki/etcd"

try:
    import yaml  # noqa: F401  (the fake kubelet reads manifests with PyYAML)
    HAVE_YAML = True
except ImportError:
    HAVE_YAML = False

SCHEDULER = """apiVersion: v1
kind: Pod
metadata:
  name: kube-scheduler
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-scheduler
    image: registry.k8s.io/kube-scheduler:v1.28.2
    name: kube-scheduler
  hostNetwork: true
"""


def etcd_manifest(node, image, initial_cluster, data_volume=True, data_dir="/var/lib/etcd", wal_dir=None):
    """A static pod manifest in the layout kubeadm writes (https clients, http peers)."""
    cu = "https://127.0.0.1:%d" % node["client_port"]
    pu = "http://127.0.0.1:%d" % node["peer_port"]
    flags = [
        "--advertise-client-urls=" + cu,
        "--cert-file=%s/server.crt" % PKI,
        "--client-cert-auth=true",
        "--data-dir=" + data_dir,
        "--initial-advertise-peer-urls=" + pu,
        "--initial-cluster=" + initial_cluster,
        "--initial-cluster-state=new",
        "--initial-cluster-token=original-token",
        "--key-file=%s/server.key" % PKI,
        "--listen-client-urls=" + cu,
        "--listen-peer-urls=" + pu,
        "--name=" + node["name"],
        "--snapshot-count=10000",
        "--trusted-ca-file=%s/ca.crt" % PKI,
    ] + (["--wal-dir=" + wal_dir] if wal_dir else [])
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    component: etcd\n    tier: control-plane\n"
    text += "  name: etcd\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n    - etcd\n"
    text += "".join("    - %s\n" % f for f in flags)
    text += "    image: %s\n    name: etcd\n    volumeMounts:\n" % image
    if data_volume:
        text += "    - mountPath: %s\n      name: etcd-data\n" % data_dir
    text += "    - mountPath: %s\n      name: etcd-certs\n" % PKI
    if wal_dir:
        text += "    - mountPath: %s\n      name: etcd-wal\n" % wal_dir
    text += "  hostNetwork: true\n  volumes:\n"
    text += "  - hostPath:\n      path: %s\n      type: DirectoryOrCreate\n    name: etcd-certs\n" % PKI
    if data_volume:
        text += "  - hostPath:\n      path: %s\n      type: DirectoryOrCreate\n    name: etcd-data\n" % data_dir
    if wal_dir:
        text += "  - hostPath:\n      path: %s\n      type: DirectoryOrCreate\n    name: etcd-wal\n" % wal_dir
    text += "status: {}\n"
    return text


class FakeCluster:
    """Three node trees under root, each with a fake kubelet running real etcd `version`."""

    def __init__(self, root, version, certs, names=("cp1", "cp2", "cp3"), wal_dir=None):
        self.root, self.version, self.certs = root, version, certs
        self.wal_dir = wal_dir
        self.etcd_bin = find_etcd(version)
        self.image = "registry.k8s.io/etcd:%s-0" % ("3.4.23" if version.startswith("3.4") else version)
        self.nodes = []
        for n in names:
            self.nodes.append({"name": n, "root": os.path.join(root, n), "client_port": free_port(),
                               "peer_port": free_port()})
        self.initial_cluster = ",".join("%s=http://127.0.0.1:%d" % (n["name"], n["peer_port"]) for n in self.nodes)
        self.kubelets = {}

    def layout(self):
        for n in self.nodes:
            r = n["root"]
            os.makedirs(r + MANIFESTS)
            os.makedirs(r + PKI)
            os.makedirs(r + "/var/lib")
            os.makedirs(r + "/run")
            for src, dst in ((self.certs.ca, "ca.crt"), (self.certs.server_cert, "server.crt"),
                             (self.certs.server_key, "server.key")):
                shutil.copy(src, os.path.join(r + PKI, dst))
            with open(r + MANIFESTS + "/etcd.yaml", "w") as f:
                f.write(self.manifest(n))
            with open(r + MANIFESTS + "/kube-scheduler.yaml", "w") as f:
                f.write(SCHEDULER)

    def manifest(self, n):
        return etcd_manifest(n, self.image, self.initial_cluster, wal_dir=self.wal_dir)

    def state(self, n):
        return n["root"] + "/run/containers.json"

    def crictl(self, n):
        return "%s %s crictl --state %s" % (sys.executable, FAKE_NODE, self.state(n))

    def start_kubelets(self):
        for n in self.nodes:
            log = open(os.path.join(self.root, n["name"] + "-kubelet.log"), "w")
            self.kubelets[n["name"]] = subprocess.Popen(
                [sys.executable, FAKE_NODE, "kubelet", "--root", n["root"], "--manifests", n["root"] + MANIFESTS,
                 "--etcd", self.etcd_bin, "--state", self.state(n)], stdout=log, stderr=subprocess.STDOUT)
            log.close()

    def stop(self):
        for p in self.kubelets.values():
            if p.poll() is None:
                p.terminate()
        for p in self.kubelets.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.kubelets = {}

    def endpoints(self):
        return ",".join("https://127.0.0.1:%d" % n["client_port"] for n in self.nodes)

    def ctl(self, *args, endpoints=None):
        return run([ETCDCTL_EXT, "--endpoints", endpoints or self.endpoints(), "--cacert", self.certs.ca,
                    "--cert", self.certs.client_cert, "--key", self.certs.client_key, *args])

    def wait_healthy(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ctl("endpoint", "health").rc == 0:
                return
            time.sleep(0.2)
        raise AssertionError("cluster not healthy after %ss: %r" % (timeout, self.ctl("endpoint", "health")))

    def env(self, n, tool_env):
        # No crictl on the node (as on a containerd node without cri-tools): whether etcd runs
        # comes from its WAL lock. The fake crictl is given only where a test asks for it.
        e = {"HOST_ROOT": n["root"], "CRICTL": "/nonexistent/crictl",
             "KUBELET_RESTART_CMD": "echo restart >> '%s/run/kubelet-restarts'" % n["root"],
             "WAIT_SECONDS": "60"}
        e.update(tool_env)
        return e


@unittest.skipUnless(ETCDCTL_EXT and KUBECTL_ETCDRESTORE and PLAN_WRITE_SIDECAR,
                     "ETCDCTL_EXT, KUBECTL_ETCDRESTORE and PLAN_WRITE_SIDECAR must be set (run through ctest)")
@unittest.skipUnless(HAVE_YAML, "PyYAML is missing (the fake kubelet reads manifests with it)")
class PlanExecutedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="etcdrestore-plan-e2e-")
        self.certs = make_certs(os.path.join(self.tmp, "certs"))
        self.clusters = []
        self.mounts = []

    def tearDown(self):
        for c in self.clusters:
            c.stop()
        for m in reversed(self.mounts):
            run(["umount", "-l", m])
        if not os.environ.get("ETCDRESTORE_KEEP_E2E"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def cluster(self, version, names=("cp1", "cp2", "cp3"), wal_dir=None, before_start=None, tag=""):
        if find_etcd(version) is None:
            self.skipTest("etcd %s is not installed" % version)
        c = FakeCluster(os.path.join(self.tmp, "nodes-" + version + tag), version, self.certs, names=names,
                        wal_dir=wal_dir)
        self.clusters.append(c)
        c.layout()
        if before_start:
            before_start(c)
        c.start_kubelets()
        c.wait_healthy()
        return c

    def plugin(self, *args):
        return run([KUBECTL_ETCDRESTORE, "plan", *args])

    def save(self, c):
        """Keys before/0..9, snapshot, then changes the snapshot must undo. Returns (path, revision)."""
        for i in range(10):
            self.assertEqual(c.ctl("put", "/registry/before/%d" % i, "v%d" % i).rc, 0)
        snap = os.path.join(self.tmp, "backup-%s" % c.version, "snap.db")
        os.makedirs(os.path.dirname(snap))
        r = c.ctl("snapshot", "save", snap, endpoints="https://127.0.0.1:%d" % c.nodes[0]["client_port"])
        self.assertEqual(r.rc, 0, r)
        st = run([ETCDCTL_EXT, "snapshot", "status", snap, "-w", "json"])
        self.assertEqual(st.rc, 0, st)
        revision = json.loads(st.stdout)["revision"]
        self.assertEqual(c.ctl("put", "/registry/after/x", "new").rc, 0)
        self.assertEqual(c.ctl("del", "/registry/before/0").rc, 0)
        return snap, revision

    def run_phases(self, c, out_dir, order, tool_env, crictl=False):
        names = {n["name"]: n for n in c.nodes}
        for phase in ("check", "stop", "restore", "start", "verify", "finish"):
            for node in order:
                script = os.path.join(out_dir, "etcdrestore-%s.sh" % node)
                env = c.env(names[node], tool_env)
                if crictl:
                    env["CRICTL"] = c.crictl(names[node])
                r = run(["sh", script, phase], env=env, timeout=120)
                self.assertEqual(r.rc, 0, "%s %s: %r" % (node, phase, r))
                if phase in ("stop", "start"):
                    self.assertEqual(b"crictl: etcd container" in r.stdout, crictl, r)
                if phase == "stop":
                    # Every manifest is out of the dir while etcd is stopped.
                    self.assertEqual(os.listdir(names[node]["root"] + MANIFESTS), [])

    def check_restored(self, c, plan, snap_revision):
        c.wait_healthy()
        members = json.loads(c.ctl("member", "list", "-w", "json").stdout)["members"]
        got = sorted((m["name"], tuple(m["peerURLs"])) for m in members)
        want = sorted((n["member"], tuple(n["peerURLs"])) for n in plan["nodes"])
        self.assertEqual(got, want)
        # The snapshot's data: before/0 is back, after/x is gone.
        self.assertEqual(c.ctl("get", "/registry/before/0", "--print-value-only").stdout, b"v0\n")
        self.assertEqual(c.ctl("get", "/registry/after/x").stdout, b"")
        header = json.loads(c.ctl("get", "/registry/before/1", "-w", "json").stdout)["header"]
        if plan["bumpRevision"]:
            self.assertGreaterEqual(header["revision"], snap_revision + plan["bumpRevision"])
        for pn in plan["nodes"]:
            n = next(x for x in c.nodes if x["name"] == pn["node"])
            # Old data kept, new data in use, manifests back and no copy left inside the dir.
            self.assertTrue(os.path.isdir(n["root"] + pn["asideDir"] + "/member/wal"), pn["asideDir"])
            self.assertTrue(os.path.isdir(n["root"] + pn["restoreDir"] + "/member/wal"))
            self.assertEqual(sorted(os.listdir(n["root"] + MANIFESTS)), ["etcd.yaml", "kube-scheduler.yaml"])
            with open(os.path.join(c.state(n))) as f:
                etcd = [x for x in json.load(f) if x["name"] == "etcd"]
            self.assertEqual(len(etcd), 1)
            self.assertIn("--data-dir=" + n["root"] + pn["restoreDir"], etcd[0]["argv"])
            with open(n["root"] + "/run/kubelet-restarts") as f:
                self.assertEqual(len(f.read().split()), 2)  # start and finish

    def restore_from_sidecar(self, version):
        c = self.cluster(version)
        snap, revision = self.save(c)
        # Saved five days ago: the bump is sized from the revision and the age.
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5 * 86400))
        r = run([PLAN_WRITE_SIDECAR, snap, str(revision), created, MANIFESTS] +
                ["%s=%s" % (n["name"], n["root"] + MANIFESTS + "/etcd.yaml") for n in c.nodes])
        self.assertEqual(r.rc, 0, r)
        out = os.path.join(self.tmp, "plan-" + version)
        r = self.plugin("--from", snap + ".json", "-o", "script", "--out-dir", out, "--leader", "cp1",
                        "--etcdctl-ext", ETCDCTL_EXT)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(sorted(os.listdir(out)),
                         ["README.md", "etcdrestore-cp1.sh", "etcdrestore-cp2.sh", "etcdrestore-cp3.sh", "plan.json"])
        shutil.copy(snap, out)  # the snapshot goes beside the scripts, as the operator copies the bundle
        with open(os.path.join(out, "plan.json")) as f:
            plan = json.load(f)
        self.assertEqual([n["node"] for n in plan["nodes"]], ["cp2", "cp3", "cp1"])  # the leader last
        # 5 days at 1500 writes/s plus the revision, doubled (> 1e9), rounded up to 1e8: 1.3e9 (the
        # plan is made a second or two after the sidecar's time, which does not cross a multiple).
        self.assertEqual(plan["bumpRevision"], 1300000000)
        env = {"ETCDCTL_EXT": ETCDCTL_EXT}
        self.run_phases(c, out, ["cp2", "cp3", "cp1"], env)
        self.check_restored(c, plan, revision)
        # Idempotent: a phase already done says so and changes nothing.
        r = run(["sh", os.path.join(out, "etcdrestore-cp2.sh"), "restore"], env=c.env(c.nodes[1], env))
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"already done", r.stdout)
        c.wait_healthy()

    def test_restore_etcd34_from_sidecar(self):
        self.restore_from_sidecar("3.4")

    def test_restore_etcd35_from_sidecar(self):
        self.restore_from_sidecar("3.5.30")

    def test_restore_with_real_etcdutl_from_manifests(self):
        etcdutl = find_etcd("3.5.30", "etcdutl")
        etcdctl = find_etcd("3.5.30", "etcdctl")
        if not etcdutl or not etcdctl:
            self.skipTest("etcdutl/etcdctl 3.5.30 not installed")
        c = self.cluster("3.5.30")
        snap, revision = self.save(c)
        copies = os.path.join(self.tmp, "copied-manifests")
        os.makedirs(copies)
        specs = []
        for n in c.nodes:
            dst = os.path.join(copies, n["name"] + "-etcd.yaml")  # renamed copies: --etcd-manifest-name
            shutil.copy(n["root"] + MANIFESTS + "/etcd.yaml", dst)
            specs += ["--manifest", "%s=%s" % (n["name"], dst)]
        specs += ["--etcd-manifest-name", "etcd.yaml"]
        out = os.path.join(self.tmp, "plan-etcdutl")
        common = specs + ["--manifests-dir", MANIFESTS, "--snapshot", snap, "--restore-tool", "etcdutl"]
        r = self.plugin(*common, "-o", "script", "--out-dir", out)
        self.assertEqual(r.rc, 0, r)
        shutil.copy(snap, out)
        with open(os.path.join(out, "plan.json")) as f:
            plan = json.load(f)
        self.assertEqual(plan["bumpRevision"], 1000000000)  # no sidecar: the floor
        with open(os.path.join(out, "etcdrestore-cp1.sh")) as f:
            script = f.read()
        self.assertIn('"$TOOL" snapshot restore', script)
        self.assertNotIn("--dry-run", script)  # etcdutl has none: rehearsed in a scratch dir
        # With crictl (the fake) on the nodes it is named in the messages, nothing more.
        env = {"ETCDUTL": etcdutl, "ETCDCTL": etcdctl}
        self.run_phases(c, out, ["cp1", "cp2", "cp3"], env, crictl=True)
        self.check_restored(c, plan, revision)

    def test_refusals_touch_nothing(self):
        c = self.cluster("3.5.30")
        snap, revision = self.save(c)
        r = run([PLAN_WRITE_SIDECAR, snap, str(revision), "2024-01-01T00:00:00Z", MANIFESTS] +
                ["%s=%s" % (n["name"], n["root"] + MANIFESTS + "/etcd.yaml") for n in c.nodes])
        self.assertEqual(r.rc, 0, r)
        other = os.path.join(self.tmp, "other.db")
        self.assertEqual(c.ctl("snapshot", "save", other,
                               endpoints="https://127.0.0.1:%d" % c.nodes[0]["client_port"]).rc, 0)

        # Plan time: a snapshot that is not the one the sidecar describes.
        out = os.path.join(self.tmp, "refused")
        r = self.plugin("--from", snap + ".json", "--snapshot", other, "-o", "script", "--out-dir", out)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"it is not the snapshot the sidecar describes", r.stderr)
        self.assertFalse(os.path.exists(out))

        # Plan time: a node missing from the input.
        copy = os.path.join(self.tmp, "cp1.yaml")
        shutil.copy(c.nodes[0]["root"] + MANIFESTS + "/etcd.yaml", copy)
        copy2 = os.path.join(self.tmp, "cp2.yaml")
        shutil.copy(c.nodes[1]["root"] + MANIFESTS + "/etcd.yaml", copy2)
        r = self.plugin("--manifest", "cp1=" + copy, "--manifest", "cp2=" + copy2, "--manifests-dir", MANIFESTS,
                        "--snapshot", snap, "-o", "script", "--out-dir", out)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.stderr, b'error: plan: member "cp3" is in the --initial-cluster of "cp1" but not in '
                                   b'static pod manifests; every member must be restored: add its node '
                                   b'(e.g. --manifest NODE=FILE), or name the members to restore on purpose with '
                                   b'--members NAME,...\n')
        self.assertFalse(os.path.exists(out))

        # Plan time (issue 11): kubeadm's first node lists only itself in --initial-cluster; its
        # manifest alone must not give a one-member plan: the snapshot's member list has three.
        first = os.path.join(self.tmp, "cp1-etcd.yaml")
        with open(first, "w") as f:
            f.write(etcd_manifest(c.nodes[0], c.image, "cp1=http://127.0.0.1:%d" % c.nodes[0]["peer_port"]))
        r = self.plugin("--manifest", "cp1=" + first, "--snapshot", snap, "-o", "script", "--out-dir", out)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"lists members cp2 http://127.0.0.1:%d, cp3 http://127.0.0.1:%d, which are not in the plan"
                      % (c.nodes[1]["peer_port"], c.nodes[2]["peer_port"]), r.stderr)
        self.assertIn(b"--members NAME,...", r.stderr)
        self.assertFalse(os.path.exists(out))
        r = self.plugin("--manifest", "cp1=" + first, "--snapshot", snap, "--members", "cp1")  # on purpose
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"left out on purpose (--members): cp2, cp3", r.stdout.replace(b"\n  ", b" "))

        # Plan time: a manifest without the etcd-data volume.
        novol = os.path.join(self.tmp, "novol.yaml")
        with open(novol, "w") as f:
            f.write(etcd_manifest(c.nodes[0], c.image, "cp1=http://127.0.0.1:%d" % c.nodes[0]["peer_port"],
                                  data_volume=False))
        r = self.plugin("--manifest", "cp1=" + novol, "--manifests-dir", MANIFESTS, "--snapshot", snap, "--members", "cp1")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"no hostPath volume holds --data-dir /var/lib/etcd", r.stderr)

        # On the nodes: a good plan, then the checks refuse before anything is touched.
        r = self.plugin("--from", snap + ".json", "-o", "script", "--out-dir", out, "--etcdctl-ext", ETCDCTL_EXT)
        self.assertEqual(r.rc, 0, r)
        shutil.copy(snap, out)
        n = c.nodes[1]
        script = os.path.join(out, "etcdrestore-cp2.sh")
        env = c.env(n, {"ETCDCTL_EXT": ETCDCTL_EXT, "SNAPSHOT": other})
        r = run(["sh", script, "check"], env=env)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"REFUSED: snapshot " + other.encode() + b" has sha256 ", r.stderr)
        # Whether etcd runs comes from its data dir (the WAL lock), not from a container runtime.
        r = run([ETCDCTL_EXT, "datadir-in-use", n["root"] + "/var/lib/etcd"])
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.stdout, rb"^in use: .*/member/wal/[0-9a-f-]+\.wal locked by pid [0-9]+ \(etcd\)\n$")
        r = run([ETCDCTL_EXT, "datadir-in-use", os.path.join(self.tmp, "no-such-dir")])
        self.assertEqual((r.rc, r.stdout[:12]), (3, b"not in use: "), r)
        r = run([ETCDCTL_EXT, "datadir-in-use", os.path.join(self.tmp, "certs")])  # a dir without WAL files
        self.assertEqual(r.rc, 3, r)

        # Not enough room for the restore on the target's file system (df -P says 10 KiB free).
        shim = os.path.join(self.tmp, "df-shim")
        os.makedirs(shim)
        with open(os.path.join(shim, "df"), "w") as f:
            f.write("#!/bin/sh\necho 'Filesystem 1024-blocks Used Available Capacity Mounted on'\n"
                    "echo 'fake 100 90 10 90% /'\n")
        os.chmod(os.path.join(shim, "df"), 0o755)
        r = run(["sh", script, "check"], env=dict(c.env(n, {"ETCDCTL_EXT": ETCDCTL_EXT}),
                                                  PATH=shim + ":" + os.environ["PATH"]))
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"has 10 KiB free; the restore needs ", r.stderr)
        r = run(["sh", script, "check"], env=c.env(n, {"ETCDCTL_EXT": ETCDCTL_EXT}))
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"KiB free, the restore needs", r.stdout)
        # One sha256 everywhere: the file's, as in the plan; not snapshot status's db hash.
        with open(os.path.join(out, "plan.json")) as f:
            sha = json.load(f)["snapshot"]["sha256"]
        self.assertIn(("sha256 %s (the file's, as planned)" % sha).encode(), r.stdout)
        hashes = set(re.findall(rb"\b[0-9a-f]{8,}\b", r.stdout)) - {sha.encode()}
        st = json.loads(run([ETCDCTL_EXT, "snapshot", "status", snap, "-w", "json"]).stdout)
        self.assertNotIn(("%x" % st["hash"]).encode(), hashes)

        r = run(["sh", script, "stop"], env=c.env(n, {"ETCDCTL_EXT": ETCDCTL_EXT}))  # stop does not re-hash; restore does
        self.assertEqual(r.rc, 0, r)
        r = run(["sh", script, "restore"], env=env)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"has sha256", r.stderr)
        self.assertTrue(os.path.isdir(n["root"] + "/var/lib/etcd/member"))  # old data untouched
        r = run(["sh", script, "start"], env=env)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"the restore phase has not run on this node", r.stderr)

        # On a node whose manifest lost the etcd-data volume since the plan was made.
        fake = os.path.join(self.tmp, "changed-node")
        os.makedirs(fake + MANIFESTS)
        with open(fake + MANIFESTS + "/etcd.yaml", "w") as f:
            f.write(etcd_manifest(c.nodes[0], c.image, c.initial_cluster, data_volume=False))
        env = {"HOST_ROOT": fake, "ETCDCTL_EXT": ETCDCTL_EXT, "CRICTL": "false", "KUBELET_RESTART_CMD": "false"}
        r = run(["sh", os.path.join(out, "etcdrestore-cp1.sh"), "check"], env=env)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"does not have the lines the plan edits (etcd-data hostPath /var/lib/etcd -> ", r.stderr)
        self.assertEqual(os.listdir(fake), ["etc"])  # nothing created or moved
        self.assertEqual(os.listdir(fake + MANIFESTS), ["etcd.yaml"])

    def plan_from_copied_manifest(self, c, snap, name):
        """plan from cp1's manifest copied as cp1-etcd.yaml (README's example); the snapshot
        copied into the bundle. Returns (out_dir, plan)."""
        copy = os.path.join(self.tmp, name + "-cp1-etcd.yaml")
        shutil.copy(c.nodes[0]["root"] + MANIFESTS + "/etcd.yaml", copy)
        out = os.path.join(self.tmp, "plan-" + name)
        r = self.plugin("--manifest", "cp1=" + copy, "--snapshot", snap, "-o", "script", "--out-dir", out,
                        "--etcdctl-ext", ETCDCTL_EXT)
        self.assertEqual(r.rc, 0, r)
        shutil.copy(snap, out)
        with open(os.path.join(out, "plan.json")) as f:
            return out, json.load(f)

    def check_data(self, c):
        c.wait_healthy()
        self.assertEqual(c.ctl("get", "/registry/before/0", "--print-value-only").stdout, b"v0\n")
        self.assertEqual(c.ctl("get", "/registry/after/x").stdout, b"")

    def etcd_argv(self, c, n):
        with open(c.state(n)) as f:
            etcd = [x for x in json.load(f) if x["name"] == "etcd"]
        self.assertEqual(len(etcd), 1)
        return etcd[0]["argv"]

    def test_readme_example_bundle_on_the_node(self):
        """Issue 11: the README's `plan --snapshot etcd.db --manifest cp1=cp1-etcd.yaml -o script`, run
        from an install dir with etcdctl-ext beside the plugin (as krew installs them). The node's
        manifest is kubeadm's /etc/kubernetes/manifests/etcd.yaml (not the copy's name), the bundle
        carries etcdctl-ext and its sha256, and the scripts use the bundle's etcdctl-ext and snapshot
        (no ETCDCTL_EXT or SNAPSHOT set), saying so; no crictl on the node."""
        c = self.cluster("3.5.30", names=("cp1",), tag="-readme")
        snap, revision = self.save(c)
        install = os.path.join(self.tmp, "install")
        os.makedirs(install)
        shutil.copy(KUBECTL_ETCDRESTORE, install)
        shutil.copy(ETCDCTL_EXT, install)
        work = os.path.join(self.tmp, "work")
        os.makedirs(work)
        shutil.copy(c.nodes[0]["root"] + MANIFESTS + "/etcd.yaml", os.path.join(work, "cp1-etcd.yaml"))
        shutil.copy(snap, os.path.join(work, "etcd.db"))
        r = run([os.path.join(install, "kubectl-etcdrestore"), "plan", "--snapshot", "etcd.db", "--manifest",
                 "cp1=cp1-etcd.yaml", "-o", "script", "--out-dir", "plan"], cwd=work)
        self.assertEqual(r.rc, 0, r)
        bundle = os.path.join(work, "plan")
        self.assertEqual(sorted(os.listdir(bundle)), ["README.md", "etcdctl-ext", "etcdctl-ext.sha256",
                                                      "etcdrestore-cp1.sh", "plan.json"])
        self.assertEqual(run(["sha256sum", "-c", "etcdctl-ext.sha256"], cwd=bundle).rc, 0)
        with open(os.path.join(bundle, "etcdrestore-cp1.sh")) as f:
            script = f.read()
        self.assertIn("MANIFESTS=\"$HOST_ROOT\"'/etc/kubernetes/manifests'\nMANIFEST_FILE='etcd.yaml'\n", script)
        self.assertNotIn(work, script)  # nothing of the planning machine's paths
        with open(os.path.join(bundle, "plan.json")) as f:
            plan = json.load(f)
        self.assertIn("assuming kubeadm's /etc/kubernetes/manifests/etcd.yaml", " ".join(plan["notes"]))
        # The operator copies the bundle (and the snapshot into it) to the node.
        node_bundle = c.nodes[0]["root"] + "/root/restore"
        shutil.copytree(bundle, node_bundle)
        shutil.copy(snap, node_bundle + "/etcd.db")
        r = run(["sh", node_bundle + "/etcdrestore-cp1.sh", "check"], env=c.env(c.nodes[0], {}))
        self.assertEqual(r.rc, 0, r)
        self.assertIn(("snapshot %s/etcd.db, tool %s/etcdctl-ext" % (node_bundle, node_bundle)).encode(), r.stdout)
        self.run_phases(c, node_bundle, ["cp1"], {})
        self.check_restored(c, plan, revision)

    def test_data_dir_on_its_own_mount(self):
        """Issue 11: a data dir that is a mount point (a dedicated disk) cannot be moved (EBUSY):
        the restore goes into the emptied mount point, the old contents moved aside inside it."""
        def mount(c):
            d = c.nodes[0]["root"] + "/var/lib/etcd"
            os.makedirs(d)
            r = run(["mount", "-t", "tmpfs", "-o", "size=512m", "etcd-disk", d])
            if r.rc != 0:
                self.skipTest("cannot mount a tmpfs here: %r" % (r,))
            self.mounts.append(d)
        c = self.cluster("3.5.30", names=("cp1",), before_start=mount, tag="-mount")
        snap, revision = self.save(c)
        out, plan = self.plan_from_copied_manifest(c, snap, "mount")
        n = c.nodes[0]
        data = n["root"] + "/var/lib/etcd"
        self.run_phases(c, out, ["cp1"], {})
        self.check_data(c)
        self.assertNotEqual(os.stat(data).st_dev, os.stat(n["root"] + "/var/lib").st_dev)  # still the mount
        aside = data + "/.before-restore-" + plan["id"]
        self.assertTrue(os.path.isdir(aside + "/member/wal"), os.listdir(data))  # old data kept, same disk
        self.assertEqual(sorted(os.listdir(data)), [".before-restore-" + plan["id"], "member"])
        self.assertIn("--data-dir=" + data, self.etcd_argv(c, n))  # the manifest still points at the mount
        header = json.loads(c.ctl("get", "/registry/before/1", "-w", "json").stdout)["header"]
        self.assertGreaterEqual(header["revision"], revision + plan["bumpRevision"])

    def test_wal_dir_is_restored_and_repointed(self):
        """Issue 11: a --wal-dir in the manifest was ignored, so etcd started on the restored db
        with the old WAL. Now the restore writes a new WAL dir and the manifest points at it."""
        c = self.cluster("3.5.30", names=("cp1",), wal_dir="/var/lib/etcd-wal", tag="-wal")
        snap, revision = self.save(c)
        out, plan = self.plan_from_copied_manifest(c, snap, "wal")
        pn = plan["nodes"][0]
        self.assertEqual(pn["walDir"], "/var/lib/etcd-wal")
        self.run_phases(c, out, ["cp1"], {})
        self.check_data(c)
        n = c.nodes[0]
        argv = self.etcd_argv(c, n)
        self.assertIn("--wal-dir=" + n["root"] + pn["walRestoreDir"], argv)
        self.assertIn("--data-dir=" + n["root"] + pn["restoreDir"], argv)
        self.assertTrue(os.listdir(n["root"] + pn["walAsideDir"]))  # the old WAL is kept
        members = json.loads(c.ctl("member", "list", "-w", "json").stdout)["members"]
        self.assertEqual([m["name"] for m in members], ["cp1"])


if __name__ == "__main__":
    unittest.main()
