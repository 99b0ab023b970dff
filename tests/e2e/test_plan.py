"""e2e: `kubectl etcdrestore save` and `plan -o script` on REAL nodes, every phase of the generated
scripts run ON the node as an operator logged into it would (realnode.py: real kubelet v1.20.2,
containerd and runc running etcd 3.4.23 and kube-apiserver v1.20.2 as kubeadm's static pods; the
etcd image is distroless). The real kubelet stops etcd when the stop phase moves the manifests
out and starts it on the restored dir when start puts the re-pointed manifest back; `systemctl
restart kubelet` in the scripts is the nodes' systemctl stand-in (no systemd runs here).

One cluster per class, the scenarios of a class run in order on it:
  SingleNode (seed 002, one node): README.md's example `plan --snapshot etcd.db --manifest
      cp-1=cp-1-etcd.yaml` typed in root's home (a manifest copy by a relative path): the plan
      assumes kubeadm's /etc/kubernetes/manifests/etcd.yaml and says so, `check` passes on the
      node naming it. On cp-1 `save` direct and `--via exec` through the real kubelet's exec into
      the distroless etcd image; a Deployment deleted; `plan --from` the sidecar in an install
      dir with etcdctl-ext beside the plugin; refusals on the node (wrong snapshot, restore
      before stop); every phase; the Deployment back, the revision bumped, the old data kept,
      the manifest re-pointed; the kubectl step finish prints for kubeadm-config run on the node:
      its ClusterConfiguration's etcd.local.dataDir is the restore dir, nothing else changed.
  StackedHa (seed 000, three nodes): first cp-3 is made a learner as an operator meets one
      (member remove, member add --learner, its etcd stopped by the kubelet, data dir emptied,
      --initial-cluster-state=existing, started again); save on cp-1 (never from the learner);
      plan-time refusals from the real snapshot's member list (kubeadm's first-node manifest, a
      node missing, no etcd-data volume); `plan --from` refuses the learner, `--learners-as-voters`
      plans it with a note; the leader last, the bundle copied to cp-2 and cp-3, each phase on
      every node before the next; one cluster of the three planned members, all voters, the
      Deployment back.
  KubeadmLayouts (one node, etcd 3.5.30, issue 11 point 3): the data dir is its own file system
      (a tmpfs mounted inside the node), etcd has a --wal-dir, and there is no kubelet-config
      ConfigMap: plan from the live API assumes kubeadm's manifest path and says so; `check`
      refuses while the data dir's file system is too full, then passes; the restore (by the stock
      etcdutl 3.5.30 on the node) goes into the mount point with the old contents kept inside it, a
      new WAL dir, the manifest's --wal-dir re-pointed.

Env: KUBECTL_ETCDRESTORE, ETCDCTL_EXT (set by ctest); REALNODE_KEEP=1 keeps the work dir.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts"))
import realnode  # noqa: E402
from demo_lib import DEPLOYMENT  # noqa: E402  (seed 002's Deployment, one copy for the demo and the tests)
from harness import ETCDCTL_EXT, find_etcd  # noqa: E402

KUBECTL_ETCDRESTORE = os.environ.get("KUBECTL_ETCDRESTORE", "")
MANIFESTS = "/etc/kubernetes/manifests"
CP1_CLIENT = "https://127.0.1.1:%d" % realnode.CLIENT_PORT
CP3_PEER = "https://127.0.1.3:%d" % realnode.PEER_PORT
ADMIN = {"KUBECONFIG": "/etc/kubernetes/admin.conf", "PATH": "/root/bin:" + realnode.NODE_PATH}

def setUpModule():
    if not (KUBECTL_ETCDRESTORE and ETCDCTL_EXT):
        raise unittest.SkipTest("KUBECTL_ETCDRESTORE and ETCDCTL_EXT must be set (run through ctest)")
    why = realnode.requirements()
    if why:
        raise unittest.SkipTest(why)


def timed(f):
    """Prints the wall time of a test (the CI budget is counted in these)."""
    def wrapper(self):
        t = time.monotonic()
        try:
            return f(self)
        finally:
            print("\n[time] %s.%s: %.1f s" % (type(self).__name__, f.__name__, time.monotonic() - t), file=sys.stderr)
    wrapper.__name__ = f.__name__
    wrapper.__doc__ = f.__doc__
    return wrapper


class RealNodeCase(unittest.TestCase):
    NODES = 1
    CLUSTER = {}

    EXTRA_BINARIES = ()  # more tools for root's bin on the nodes

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="etcdrestore-realnode-")
        t = time.monotonic()
        cls.cluster = realnode.Cluster(os.path.join(cls.tmp, "cluster"), nodes=cls.NODES, **cls.CLUSTER)
        try:
            cls.cluster.__enter__()
            # kubectl-etcdrestore and etcdctl-ext side by side in root's bin on every node, as krew
            # installs them; nothing else of this machine's build is used on the nodes.
            for n in cls.cluster.nodes:
                for b in (KUBECTL_ETCDRESTORE, ETCDCTL_EXT) + tuple(cls.EXTRA_BINARIES):
                    with open(b, "rb") as f:
                        n.write_file("/root/bin/" + os.path.basename(b), f.read(), 0o755)
        except BaseException:
            cls.tearDownClass()
            raise
        print("\n[time] %s cluster of %d up: %.1f s (%s)" % (cls.__name__, cls.NODES, time.monotonic() - t, ", ".join(
            "%s %.1f" % kv for kv in cls.cluster.timings.items())), file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)
        if not os.environ.get("REALNODE_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        else:
            print("realnode: kept %s" % cls.tmp, file=sys.stderr)

    # -- helpers -----------------------------------------------------------------------------

    def sh(self, n, cmd, env=None, **kw):
        """cmd on node n as root logged into it, with the kubeconfig kubeadm leaves there and the
        plugin's install dir on PATH."""
        e = dict(ADMIN)
        e.update(env or {})
        return n.run(cmd, env=e, **kw)

    def node(self, name):
        return next(n for n in self.cluster.nodes if n.name == name)

    def create_deployment(self):
        self.cluster.kubectl("apply", "-f", "-", input=DEPLOYMENT.encode())
        self.assertIn(b"nginx-deployment", self.cluster.kubectl("get", "deployments").stdout)

    def delete_deployment(self):
        self.cluster.kubectl("delete", "deployment", "nginx-deployment")
        self.assertEqual(self.cluster.etcdctl("get", "/registry/deployments/default/nginx-deployment",
                                              "--keys-only").stdout, b"")

    def save_on_node(self, n, path="/root/backup/snap.db"):
        self.sh(n, "mkdir -p %s" % os.path.dirname(path))
        r = self.sh(n, ["kubectl-etcdrestore", "save", path])
        self.assertIn(("Snapshot saved to " + path).encode(), r.stdout)
        return path

    def phases(self, n, script):
        """The phases the script names in its usage line, in order ("all" aside)."""
        words = re.findall(r"[a-z]+", self.sh(n, ["sed", "-n", "s/^#   PHASE: //p", script]).stdout.decode())
        return words[:words.index("all")] if "all" in words else words

    def run_phases(self, bundle, order):
        """Each phase on every node in order before the next phase, as README.md says; returns
        {(node, phase): Result}."""
        nodes = [self.node(x) for x in order]
        phases = self.phases(nodes[0], "%s/etcdrestore-%s.sh" % (bundle, order[0]))
        self.assertEqual(phases[:6], ["check", "stop", "restore", "start", "verify", "finish"])
        log, results = [], {}
        for phase in phases:
            for n in nodes:
                t = time.monotonic()
                r = self.sh(n, ["sh", "%s/etcdrestore-%s.sh" % (bundle, n.name), phase], env={"WAIT_SECONDS": "240"},
                          check=False, timeout=600)
                log.append("%s %s %.1fs" % (n.name, phase, time.monotonic() - t))
                self.assertEqual(r.rc, 0, "%s %s: %r" % (n.name, phase, r))
                results[(n.name, phase)] = r
                if phase == "stop":
                    # Every static pod manifest is out, and the REAL kubelet has stopped etcd.
                    self.assertEqual(self.sh(n, "ls -A %s" % MANIFESTS).stdout, b"")
                    self.assertNotEqual(self.sh(n, ["etcdctl-ext", "datadir-in-use", "/var/lib/etcd"], check=False).rc, 0)
        print("\n[time] phases: " + ", ".join(log), file=sys.stderr)
        return results

    def check_restored(self, plan, revision):
        """The cluster is the plan's: its members, the Deployment back, the revision bumped,
        etcd on the restored dirs through re-pointed manifests, the old data kept."""
        t = time.monotonic()
        self.cluster.wait_ready(timeout=300)
        print("\n[time] ready again after finish: %.1f s" % (time.monotonic() - t), file=sys.stderr)
        members = json.loads(self.cluster.etcdctl("member", "list", "-w", "json").stdout)["members"]
        self.assertEqual(sorted((m["name"], tuple(m["peerURLs"])) for m in members),
                         sorted((p["member"], tuple(p["peerURLs"])) for p in plan["nodes"]))
        self.assertRegex(self.cluster.kubectl("get", "deployments").stdout, rb"(?m)^nginx-deployment ")
        header = json.loads(self.cluster.etcdctl("get", "/registry/deployments/default/nginx-deployment",
                                                 "-w", "json").stdout)["header"]
        self.assertGreaterEqual(header["revision"], revision + plan["bumpRevision"])
        for p in plan["nodes"]:
            n = self.node(p["node"])
            self.assertIn("--data-dir=" + p["restoreDir"], n.etcd_manifest())
            self.assertTrue(os.path.isdir(n.host_path(p["asideDir"] + "/member/wal")), p["asideDir"])
            self.assertEqual(self.sh(n, "ls %s" % MANIFESTS).stdout, b"etcd.yaml\nkube-apiserver.yaml\n")
            # The running etcd holds the restored dir's WAL lock (etcdctl-ext asks the data dir).
            r = self.sh(n, ["etcdctl-ext", "datadir-in-use", p["restoreDir"]])
            self.assertRegex(r.stdout, rb"^in use: .* locked by pid [0-9]+ \(etcd\)\n$")

    def snapshot_revision(self, n, path):
        return json.loads(self.sh(n, ["etcdctl-ext", "snapshot", "status", path, "-w", "json"]).stdout)["revision"]


class SingleNode(RealNodeCase):
    NODES = 1

    @timed
    def test_readme_plan_from_a_manifest_copy(self):
        """README.md's own example, typed on cp-1 in root's home: `plan --snapshot etcd.db
        --manifest cp1=cp1-etcd.yaml` from a copy of the manifest by a relative path. The copy
        says nothing about where the manifest is on the node: the plan assumes kubeadm's
        /etc/kubernetes/manifests/etcd.yaml and says so (issue 11: it once wrote
        MANIFEST_FILE='cp1-etcd.yaml' and `check` died). Read-only: only `check` runs. (Named to
        run before test_seed_single_node restores this cluster.)"""
        n = self.cluster.nodes[0]
        self.save_on_node(n, "/root/etcd.db")
        self.sh(n, "cp /etc/kubernetes/manifests/etcd.yaml cp-1-etcd.yaml", cwd="/root")
        self.sh(n, ["kubectl-etcdrestore", "plan", "--snapshot", "etcd.db", "--manifest", "cp-1=cp-1-etcd.yaml",
                    "-o", "script", "--out-dir", "readme-plan"], cwd="/root")
        plan = json.loads(self.sh(n, ["cat", "/root/readme-plan/plan.json"]).stdout)
        note = ("node cp-1: the copied manifest does not say where it is on the node; assuming kubeadm's "
                "/etc/kubernetes/manifests/etcd.yaml")
        self.assertTrue(any(x.startswith(note) for x in plan["notes"]), plan["notes"])
        readme = self.sh(n, ["cat", "/root/readme-plan/README.md"]).stdout.decode()
        self.assertIn(note, re.sub(r"\s+", " ", readme))
        p = plan["nodes"][0]
        self.assertEqual((p["manifestsDir"], p["manifestFile"]), ("/etc/kubernetes/manifests", "etcd.yaml"))
        listing = "ls -lA --time-style=+%s /etc/kubernetes/manifests; ls -A /var/lib /var/lib/etcd"
        before = self.sh(n, listing).stdout
        self.sh(n, "cp etcd.db readme-plan/", cwd="/root")
        r = self.sh(n, ["sh", "readme-plan/etcdrestore-cp-1.sh", "check"], cwd="/root", check=False)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"check: the etcd manifest is /etc/kubernetes/manifests/etcd.yaml; the plan's edits apply to it\n",
                      r.stdout)
        self.assertIn(b"check: ok (", r.stdout)
        # Read-only: the manifests and data dirs as they were, etcd still on /var/lib/etcd.
        self.assertEqual(self.sh(n, listing).stdout, before)
        self.assertEqual(self.sh(n, ["etcdctl-ext", "datadir-in-use", "/var/lib/etcd"]).rc, 0)
        self.sh(n, "rm -r readme-plan etcd.db etcd.db.json cp-1-etcd.yaml", cwd="/root")

    @timed
    def test_seed_single_node(self):
        c = self.cluster
        n = c.nodes[0]
        self.create_deployment()
        # Whether etcd runs is asked of its data dir on the node: the real etcd in its container
        # holds the WAL lock (issue 11 point 2; no crictl on these nodes).
        self.assertIn(b"crictl: not found", self.sh(n, "crictl ps", check=False).stderr)
        r = self.sh(n, ["etcdctl-ext", "datadir-in-use", "/var/lib/etcd"])
        self.assertRegex(r.stdout, rb"^in use: /var/lib/etcd/member/wal/[0-9a-f-]+\.wal locked by pid [0-9]+ \(etcd\)\n$")

        snap = self.save_on_node(n)
        side = json.loads(self.sh(n, ["cat", snap + ".json"]).stdout)
        self.assertEqual(side["source"]["method"], "direct")
        self.assertEqual(side["source"]["certFile"], "/etc/kubernetes/pki/apiserver-etcd-client.crt")
        self.assertEqual(side["members"][0]["dataHostPath"], "/var/lib/etcd")
        revision = self.snapshot_revision(n, snap)
        self.delete_deployment()

        plan_dir = "/root/plan"
        r = self.sh(n, ["kubectl-etcdrestore", "plan", "--from", snap + ".json", "-o", "script", "--out-dir", plan_dir],
                  env=ADMIN)
        self.assertEqual(self.sh(n, "ls %s" % plan_dir).stdout.split(),
                         [b"README.md", b"etcdctl-ext", b"etcdctl-ext.sha256", b"etcdrestore-cp-1.sh", b"plan.json"])
        self.assertEqual(self.sh(n, "sha256sum -c etcdctl-ext.sha256", cwd=plan_dir).rc, 0)
        plan = json.loads(self.sh(n, ["cat", plan_dir + "/plan.json"]).stdout)
        script = plan_dir + "/etcdrestore-cp-1.sh"

        # Refused on the node before anything is touched: another snapshot; restore before stop.
        other = "/root/backup/other.db"
        self.sh(n, ["etcdctl-ext", "--endpoints", "https://127.0.1.1:52379", "--cacert", "/etc/kubernetes/pki/etcd/ca.crt",
               "--cert", "/etc/kubernetes/pki/apiserver-etcd-client.crt", "--key",
               "/etc/kubernetes/pki/apiserver-etcd-client.key", "snapshot", "save", other])
        r = self.sh(n, ["sh", script, "check"], env={"SNAPSHOT": other}, check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"REFUSED: snapshot /root/backup/other.db has sha256 ", r.stderr)
        r = self.sh(n, ["sh", script, "restore"], check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"run the stop phase first", r.stderr)

        # The snapshot beside the scripts, as the README says; then every phase.
        self.sh(n, ["cp", snap, plan_dir + "/"])
        r = self.sh(n, ["sh", script, "check"])
        self.assertIn(("snapshot %s/snap.db, tool %s/etcdctl-ext" % (plan_dir, plan_dir)).encode(), r.stdout)
        self.assertIn(("sha256 %s (the file's, as planned)" % plan["snapshot"]["sha256"]).encode(), r.stdout)
        out = self.run_phases(plan_dir, ["cp-1"])
        self.check_restored(plan, revision)
        # Idempotent: a phase already done says so.
        r = self.sh(n, ["sh", script, "restore"])
        self.assertIn(b"already done", r.stdout)
        self.kubeadm_config_step(n, out[("cp-1", "finish")].stdout.decode(), plan["nodes"][0])

    def kubeadm_config_step(self, n, finish_out, p):
        """The data dir moved (/var/lib/etcd -> the restore dir): finish prints the kubectl step
        that points kubeadm-config's etcd.local.dataDir at it (kubeadm upgrade writes the etcd
        manifest from it). Run as printed, on the node (kubectl and the admin kubeconfig are
        there); then the ClusterConfiguration names the restore dir and nothing else changed."""
        self.assertNotEqual(p["restoreDir"], "/var/lib/etcd")
        prefix = ("etcdrestore[cp-1] finish: kubeadm-config's etcd.local.dataDir still names the old data dir; "
                  "once, from a machine with kubectl, run: ")
        lines = [x[len(prefix):] for x in finish_out.splitlines() if x.startswith(prefix)]
        self.assertEqual(len(lines), 1, finish_out)
        self.assertEqual(self.sh(n, "command -v kubectl").stdout, b"/usr/bin/kubectl\n")

        def configmap():
            return json.loads(self.cluster.kubectl("-n", "kube-system", "get", "configmap", "kubeadm-config",
                                                   "-o", "json").stdout)
        before = configmap()
        self.assertEqual(yaml.safe_load(before["data"]["ClusterConfiguration"])["etcd"]["local"]["dataDir"],
                         "/var/lib/etcd")
        self.sh(n, ["sh", "-c", lines[0]])
        after = configmap()
        cfg_before = yaml.safe_load(before["data"]["ClusterConfiguration"])
        cfg_after = yaml.safe_load(after["data"]["ClusterConfiguration"])
        self.assertEqual(cfg_after["etcd"]["local"]["dataDir"], p["restoreDir"])
        cfg_before["etcd"]["local"]["dataDir"] = p["restoreDir"]
        self.assertEqual(cfg_after, cfg_before)  # the rest of the ClusterConfiguration as it was
        # kubectl replace keeps a last-applied-configuration annotation (here from the harness's
        # kubectl apply; kubeadm writes none) in step with the object: it must be the new data.
        applied = "kubectl.kubernetes.io/last-applied-configuration"
        for m in (before, after):
            m["metadata"] = dict(m["metadata"], annotations=dict(m["metadata"].get("annotations", {})))
        if applied in after["metadata"]["annotations"]:
            self.assertEqual(json.loads(after["metadata"]["annotations"].pop(applied))["data"], after["data"])
            before["metadata"]["annotations"].pop(applied)
        for k in ("data", "metadata"):
            b, a = dict(before[k]), dict(after[k])
            b.pop("ClusterConfiguration", None), a.pop("ClusterConfiguration", None)
            for m in (a, b):
                for volatile in ("resourceVersion", "managedFields"):
                    m.pop(volatile, None)
            self.assertEqual(a, b, k)
        self.assertNotEqual(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"])
        self.assertEqual(sorted(after), sorted(before))

    @timed
    def test_save_via_exec_through_the_real_kubelet(self):
        """`save --via exec` through the kube-apiserver and the REAL kubelet's exec into the
        distroless etcd image (no sh, cat or tar in it): etcdctl snapshot save inside the pod,
        into its data dir; from the node the file is copied and checked, from elsewhere it stays
        on the node and the output says so."""
        c = self.cluster
        n = c.nodes[0]
        r = c.kubectl("-n", "kube-system", "exec", "etcd-cp-1", "--", "sh", "-c", "true", check=False)
        self.assertNotEqual(r.rc, 0, r)  # distroless: there is no shell to exec
        self.assertIn(b"executable file not found", r.stderr)
        self.sh(n, "mkdir -p /root/backup")
        r = self.sh(n, ["kubectl-etcdrestore", "save", "/root/backup/exec.db", "--via", "exec"])
        out = r.stdout.decode()
        self.assertIn("Snapshot saved to /root/backup/exec.db", out)
        side = json.loads(self.sh(n, ["cat", "/root/backup/exec.db.json"]).stdout)
        self.assertEqual(side["source"]["method"], "exec")
        self.assertEqual(side["source"]["pod"], "kube-system/etcd-cp-1")
        node_path = side["source"]["nodePath"]
        self.assertRegex(node_path, r"^/var/lib/etcd[^/]*/etcdrestore-snapshot-\d+T\d+Z\.db$")
        self.assertIn("on node:   cp-1 at " + node_path, out)
        self.assertEqual(self.sh(n, ["cmp", node_path, "/root/backup/exec.db"]).rc, 0)
        st = json.loads(self.sh(n, ["etcdctl", "snapshot", "status", "/root/backup/exec.db", "-w", "json"],
                              env={"ETCDCTL_API": "3"}).stdout)
        self.assertEqual((side["snapshot"]["hash"], side["snapshot"]["revision"]), (st["hash"], st["revision"]))
        self.sh(n, ["rm", node_path])

        # From this machine (not the node): the file stays on the node, named with its node path.
        with tempfile.TemporaryDirectory() as d:
            r = realnode_plugin(c, "save", os.path.join(d, "far.db"), "--via", "exec")
            self.assertEqual(r.rc, 0, r)
            self.assertIn(b"Snapshot saved on node cp-1 at /var/lib/etcd", r.stdout)
            self.assertIn(b"copy it from node cp-1", r.stdout)
            with open(os.path.join(d, "far.db.json")) as f:
                far = json.load(f)["source"]["nodePath"]
            self.assertTrue(os.path.isfile(n.host_path(far)))
            self.sh(n, ["rm", far])

        # A failing etcdctl in the pod: its exit code and stderr, nothing written.
        r = self.sh(n, ["kubectl-etcdrestore", "save", "/root/backup/bad.db", "--via", "exec", "--node-dir", "/no/such/dir"],
                  env=ADMIN, check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.stderr.decode(), r"^error: etcdctl snapshot save /no/such/dir/etcdrestore-snapshot-\S+\.db "
                                            r"in pod etcd-cp-1 exited with \d+: .*no such file or directory")
        self.assertEqual(self.sh(n, "ls /root/backup/bad.db*", check=False).rc, 2)


def realnode_plugin(cluster, *args):
    from harness import run
    return run([KUBECTL_ETCDRESTORE, *args], env={"KUBECONFIG": cluster.kubeconfig, "HOME": cluster.workdir},
               timeout=120)


class StackedHa(RealNodeCase):
    NODES = 3

    @timed
    def test_seed_ha(self):
        c = self.cluster
        cp1 = c.nodes[0]
        self.make_learner(cp1, self.node("cp-3"))
        self.create_deployment()
        snap = self.save_on_node(cp1)
        revision = self.snapshot_revision(cp1, snap)
        side = json.loads(self.sh(cp1, ["cat", snap + ".json"]).stdout)
        self.assertEqual(sorted((m["name"], m.get("isLearner", False)) for m in side["members"]),
                         [("cp-1", False), ("cp-2", False), ("cp-3", True)])
        self.assertNotEqual(side["source"]["member"], "cp-3")  # a learner serves no snapshot
        self.delete_deployment()
        self.plan_time_refusals(cp1, snap)

        status = json.loads(c.etcdctl("endpoint", "status", "-w", "json").stdout)
        leader_id = status[0]["Status"]["leader"]
        # Asked of cp-1 alone: a learner answers no member list.
        members = json.loads(c.etcdctl("member", "list", "-w", "json", endpoints=CP1_CLIENT).stdout)["members"]
        leader = next(m["name"] for m in members if m["ID"] == leader_id)
        plan_dir = "/root/plan"
        # cp-3 is a learner: a restore makes every member a voter, so only on purpose.
        r = self.sh(cp1, ["kubectl-etcdrestore", "plan", "--from", snap + ".json", "--leader", leader, "-o", "script",
                          "--out-dir", plan_dir], check=False)
        self.assertEqual(r.rc, 1, r)
        err = r.stderr.replace(b"\n  ", b" ")
        self.assertRegex(err, rb"plan: member cp-3 is a learner in .*; a restore makes every member a voter")
        self.assertIn(b"--learners-as-voters", err)
        self.assertIn(b"--members", err)
        self.assertEqual(self.sh(cp1, ["ls", plan_dir], check=False).rc, 2)
        self.sh(cp1, ["kubectl-etcdrestore", "plan", "--from", snap + ".json", "--leader", leader, "-o", "script",
                      "--out-dir", plan_dir, "--learners-as-voters"])
        self.sh(cp1, ["cp", snap, plan_dir + "/"])
        plan = json.loads(self.sh(cp1, ["cat", plan_dir + "/plan.json"]).stdout)
        self.assertIn("member cp-3 was a learner; it is restored as a voter (--learners-as-voters)", plan["notes"])
        order = [p["node"] for p in plan["nodes"]]
        self.assertEqual(order[-1], leader)  # the leader last
        # The operator copies the bundle to the other nodes (scp -r plan cp-2:).
        bundle = cp1.host_path(plan_dir)
        for n in c.nodes[1:]:
            shutil.copytree(bundle, n.host_path(plan_dir), symlinks=True)
        self.run_phases(plan_dir, order)
        self.check_restored(plan, revision)
        restored = json.loads(c.etcdctl("member", "list", "-w", "json").stdout)["members"]
        ids = {m["ID"] for m in restored}
        self.assertTrue(ids.isdisjoint({m["ID"] for m in members}), "the restored cluster has new member ids")
        # Three voters: cp-3 came back as a voter, as asked.
        self.assertEqual(sorted((m["name"], m.get("isLearner", False)) for m in restored),
                         [("cp-1", False), ("cp-2", False), ("cp-3", False)])
        status = json.loads(c.etcdctl("endpoint", "status", "-w", "json").stdout)
        self.assertEqual([s["Status"].get("isLearner", False) for s in status], [False] * 3)

    def etcd_on(self, n, *args, endpoints=None, **kw):
        """etcdctl-ext on node n with the apiserver's etcd client cert, as an operator types it."""
        return self.sh(n, ["etcdctl-ext", "--endpoints", endpoints or CP1_CLIENT, "--cacert",
                           "/etc/kubernetes/pki/etcd/ca.crt", "--cert", "/etc/kubernetes/pki/apiserver-etcd-client.crt",
                           "--key", "/etc/kubernetes/pki/apiserver-etcd-client.key", *args], **kw)

    def make_learner(self, cp1, cp3):
        """cp-3 becomes a learner the way an operator meets one: removed, added back with
        --learner, its etcd stopped by the real kubelet (manifest out), its data dir emptied,
        --initial-cluster-state=existing set, the manifest back (the kubelet starts it: it joins
        as a learner)."""
        t = time.monotonic()
        old = next(m for m in json.loads(self.etcd_on(cp1, "member", "list", "-w", "json").stdout)["members"]
                   if m["name"] == "cp-3")
        self.etcd_on(cp1, "member", "remove", "%x" % old["ID"])
        # If cp-3 led, the two left elect a new leader first; a conf change proposed meanwhile
        # times out (seen in CI: "context deadline exceeded" after etcdctl's 5 s). Wait for a
        # leader (endpoint health is a quorum read), then add with a longer command timeout.
        survivors = "%s,https://127.0.1.2:%d" % (CP1_CLIENT, realnode.CLIENT_PORT)
        deadline = time.monotonic() + 60
        while self.etcd_on(cp1, "endpoint", "health", endpoints=survivors, check=False).rc != 0:
            self.assertLess(time.monotonic(), deadline, "no leader among cp-1 and cp-2 after cp-3's removal")
            time.sleep(1)
        r = self.etcd_on(cp1, "--command-timeout", "30s", "member", "add", "cp-3", "--learner", "--peer-urls",
                         CP3_PEER)
        self.assertIn(b" added to cluster ", r.stdout)
        self.sh(cp3, "mv /etc/kubernetes/manifests/etcd.yaml /root/etcd.yaml")
        # Removed, cp-3's etcd exits and the kubelet restarted it until the manifest went: wait
        # until its data dir has been free for 10 s in a row (no restart in between).
        deadline, free_since = time.monotonic() + 180, None
        while free_since is None or time.monotonic() - free_since < 10:
            self.assertLess(time.monotonic(), deadline, "the kubelet did not stop cp-3's etcd")
            free = self.sh(cp3, ["etcdctl-ext", "datadir-in-use", "/var/lib/etcd"], check=False).rc == 3
            free_since = (free_since or time.monotonic()) if free else None
            time.sleep(1)
        self.sh(cp3, "find /var/lib/etcd -mindepth 1 -delete")
        self.sh(cp3, "if grep -q -e --initial-cluster-state= etcd.yaml; then "
                     "sed -i 's/--initial-cluster-state=new/--initial-cluster-state=existing/' etcd.yaml; else "
                     "sed -i 's/^\\( *\\)- --initial-cluster=.*$/&\\n\\1- --initial-cluster-state=existing/' etcd.yaml; fi")
        self.assertEqual(self.sh(cp3, "grep -c -e '^    - --initial-cluster-state=existing$' etcd.yaml").stdout, b"1\n")
        self.sh(cp3, "mv /root/etcd.yaml /etc/kubernetes/manifests/etcd.yaml")
        deadline = time.monotonic() + 240
        while True:
            members = json.loads(self.etcd_on(cp1, "member", "list", "-w", "json").stdout)["members"]
            new = next(m for m in members if CP3_PEER in m["peerURLs"])
            if new.get("name") == "cp-3" and new.get("clientURLs"):
                break
            self.assertLess(time.monotonic(), deadline, "cp-3 did not start as a learner: %r" % members)
            time.sleep(2)
        self.assertTrue(new.get("isLearner"), new)
        self.assertNotEqual(new["ID"], old["ID"])
        self.assertEqual(self.sh(cp3, ["etcdctl-ext", "datadir-in-use", "/var/lib/etcd"], check=False).rc, 0)
        print("\n[time] cp-3 made a learner: %.1f s" % (time.monotonic() - t), file=sys.stderr)

    def plan_time_refusals(self, n, snap):
        """Before anything on the nodes: the plan is checked against the snapshot's own members."""
        # kubeadm's first control-plane node lists only itself in --initial-cluster: its manifest
        # alone must not give a one-member plan (issue 11): the snapshot has three members.
        first = n.etcd_manifest().replace(
            "--initial-cluster=cp-1=https://127.0.1.1:52380,cp-2=https://127.0.1.2:52380,cp-3=https://127.0.1.3:52380",
            "--initial-cluster=cp-1=https://127.0.1.1:52380")
        self.assertNotEqual(first, n.etcd_manifest())
        n.write_file("/root/cp-1-etcd.yaml", first)
        r = self.sh(n, ["kubectl-etcdrestore", "plan", "--manifest", "cp-1=/root/cp-1-etcd.yaml", "--snapshot", snap, "-o",
                   "script", "--out-dir", "/root/refused"], check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"lists members cp-2 https://127.0.1.2:52380, cp-3 https://127.0.1.3:52380, which are not in "
                      b"the plan", r.stderr.replace(b"\n  ", b" "))
        self.assertIn(b"--members NAME,...", r.stderr)
        self.assertEqual(self.sh(n, "ls /root/refused", check=False).rc, 2)
        r = self.sh(n, ["kubectl-etcdrestore", "plan", "--manifest", "cp-1=/root/cp-1-etcd.yaml", "--snapshot", snap,
                   "--members", "cp-1"])  # on purpose
        self.assertIn(b"left out on purpose (--members): cp-2, cp-3", r.stdout.replace(b"\n  ", b" "))
        # A node missing from the input: cp-1 and cp-2's manifests only.
        for x in ("cp-1", "cp-2"):
            n.write_file("/root/%s.yaml" % x, self.node(x).etcd_manifest())
        r = self.sh(n, ["kubectl-etcdrestore", "plan", "--manifest", "cp-1=/root/cp-1.yaml", "--manifest",
                   "cp-2=/root/cp-2.yaml", "--snapshot", snap], check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b'member "cp-3" is in the --initial-cluster of "cp-1" but not in static pod manifests', r.stderr)
        # A manifest whose etcd-data volume is gone.
        novol = re.sub(r"  - hostPath:\n      path: /var/lib/etcd\n      type: DirectoryOrCreate\n    name: etcd-data\n",
                       "", n.etcd_manifest())
        n.write_file("/root/novol.yaml", novol)
        r = self.sh(n, ["kubectl-etcdrestore", "plan", "--manifest", "cp-1=/root/novol.yaml", "--snapshot", snap,
                   "--members", "cp-1"], check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"no hostPath volume holds --data-dir /var/lib/etcd", r.stderr)


class KubeadmLayouts(RealNodeCase):
    NODES = 1
    # The data dir is its own file system (a dedicated disk: here a tmpfs mounted inside the node
    # before the kubelet starts), etcd writes its WAL to --wal-dir, and kubeadm's kubelet-config
    # ConfigMap is not there (RBAC, or a renamed one).
    # etcd 3.5.30 this time (its distroless image), restored by the stock etcdutl 3.5.30 on the node
    # (--restore-tool etcdutl: the scripts then find etcd's WAL lock through /proc, no etcdctl-ext).
    CLUSTER = {"node_setup": "mkdir -p /var/lib/etcd && mount -t tmpfs -o size=160m,mode=0700 etcd-disk /var/lib/etcd",
               "wal_dir": "/var/lib/etcd-wal/wal", "kubelet_config": False, "etcd": "3.5"}
    EXTRA_BINARIES = tuple(b for b in (find_etcd("3.5.30", "etcdutl"), find_etcd("3.5.30", "etcdctl")) if b)

    @classmethod
    def setUpClass(cls):
        if len(cls.EXTRA_BINARIES) != 2:
            raise unittest.SkipTest("etcdutl/etcdctl 3.5.30 are not unpacked (scripts/install-deps.sh)")
        super().setUpClass()

    @timed
    def test_mount_point_wal_dir_free_space_no_kubelet_config(self):
        c = self.cluster
        n = c.nodes[0]
        self.assertEqual(self.sh(n, "stat -f -c %T /var/lib/etcd").stdout, b"tmpfs\n")
        self.assertTrue(self.sh(n, "ls /var/lib/etcd-wal/wal").stdout.strip().endswith(b".wal"))
        self.create_deployment()
        snap = self.save_on_node(n)
        revision = self.snapshot_revision(n, snap)
        self.delete_deployment()
        # Plan from the live API (no --from): without kubelet-config the plan assumes kubeadm's
        # /etc/kubernetes/manifests/etcd.yaml and says so.
        self.assertEqual(c.kubectl("-n", "kube-system", "get", "configmap", "kubelet-config-1.20", check=False).rc, 1)
        plan_dir = "/root/plan"
        self.assertIn(b"etcdutl version: 3.5.30", self.sh(n, "etcdutl version").stdout)
        self.assertEqual(json.loads(c.etcdctl("endpoint", "status", "-w", "json").stdout)[0]["Status"]["version"], "3.5.30")
        self.sh(n, ["kubectl-etcdrestore", "plan", "--snapshot", snap, "-o", "script", "--out-dir", plan_dir,
                    "--restore-tool", "etcdutl", "--etcdutl", "/root/bin/etcdutl", "--etcdctl", "/root/bin/etcdctl"])
        self.sh(n, ["cp", snap, plan_dir + "/"])
        plan = json.loads(self.sh(n, ["cat", plan_dir + "/plan.json"]).stdout)
        self.assertIn("assuming kubeadm's /etc/kubernetes/manifests/etcd.yaml", " ".join(plan["notes"]))
        p = plan["nodes"][0]
        self.assertEqual(p["walDir"], "/var/lib/etcd-wal/wal")
        script = plan_dir + "/etcdrestore-cp-1.sh"

        # Free space: check refuses while the data dir's file system cannot hold the restore.
        free_kib = int(self.sh(n, "df -P /var/lib/etcd | awk 'NR == 2 { print $4 }'").stdout)
        self.sh(n, "fallocate -l %dK /var/lib/etcd/filler" % (free_kib - 1024))
        r = self.sh(n, ["sh", script, "check"], check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.stderr, rb"REFUSED: the file system of /var/lib/etcd has \d+ KiB free; the restore needs ")
        self.sh(n, "rm /var/lib/etcd/filler")
        r = self.sh(n, ["sh", script, "check"])
        self.assertIn(b"/var/lib/etcd is a mount point: the restore goes into it", r.stdout)

        self.run_phases(plan_dir, ["cp-1"])
        self.check_restored_layout(plan, revision)

    def check_restored_layout(self, plan, revision):
        c = self.cluster
        n = c.nodes[0]
        p = plan["nodes"][0]
        c.wait_ready(timeout=300)
        self.assertRegex(c.kubectl("get", "deployments").stdout, rb"(?m)^nginx-deployment ")
        header = json.loads(c.etcdctl("get", "/registry/deployments/default/nginx-deployment", "-w", "json").stdout)["header"]
        self.assertGreaterEqual(header["revision"], revision + plan["bumpRevision"])
        # Still the mount; the old contents kept inside it (one file system); the manifest keeps
        # --data-dir on the mount and points --wal-dir at the new WAL dir; the old WAL kept.
        self.assertEqual(self.sh(n, "stat -f -c %T /var/lib/etcd").stdout, b"tmpfs\n")
        aside = ".before-restore-" + plan["id"]
        self.assertEqual(self.sh(n, "ls -A /var/lib/etcd").stdout.split(), [aside.encode(), b"member"])
        self.assertEqual(self.sh(n, "ls /var/lib/etcd/%s/member" % aside).stdout.split(), [b"snap"])
        manifest = n.etcd_manifest()
        self.assertIn("--data-dir=/var/lib/etcd\n", manifest)
        self.assertIn("--wal-dir=" + p["walRestoreDir"] + "\n", manifest)
        self.assertTrue(self.sh(n, "ls %s" % p["walAsideDir"]).stdout.strip().endswith(b".wal"))
        r = self.sh(n, ["etcdctl-ext", "datadir-in-use", p["walRestoreDir"]])
        self.assertRegex(r.stdout, rb"^in use: .* locked by pid [0-9]+ \(etcd\)\n$")
        members = json.loads(c.etcdctl("member", "list", "-w", "json").stdout)["members"]
        self.assertEqual([m["name"] for m in members], ["cp-1"])


if __name__ == "__main__":
    unittest.main()
