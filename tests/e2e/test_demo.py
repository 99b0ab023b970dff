"""e2e: scripts/demo.sh, the README's one command, run non-interactively.

The demo runs seed 002 (single kubeadm node) and seed 000's HA case (three stacked nodes) on
real nodes (scripts/demo_lib.py, tests/e2e/realnode.py: real kubelets, containerd, etcd and
kube-apiserver static pods). Checks on its output and on what it leaves: every step printed as
typed on the machine it is typed on, the Deployment gone from etcd after the delete and back
after the plan's scripts ran on the nodes, the etcd manifests re-pointed at the restored dirs with
the old data kept, and no process of the demo left running. A second run whose etcdctl-ext
refuses to restore must fail (exit 1, DEMO FAILED) and still stop everything it started.

Env: KUBECTL_ETCDRESTORE, ETCDCTL_EXT (set by ctest). kube-apiserver and the kubelet are built
once per machine by scripts/kube-apiserver.sh (cached).
"""

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realnode  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(REPO, "scripts", "demo.sh")
PLUGIN = os.environ.get("KUBECTL_ETCDRESTORE", "")
ETCDCTL_EXT = os.environ.get("ETCDCTL_EXT", "")



def setUpModule():
    why = realnode.requirements()
    if why:
        raise unittest.SkipTest(why)


def processes_mentioning(text):
    """pids whose command line contains text."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if text.encode() in f.read():
                    out.append(int(pid))
        except OSError:
            pass
    return out


def section(out, start, end):
    """The text of out between the first line starting with start and the next with end."""
    i = out.index(start)
    j = out.find(end, i + len(start))
    return out[i:j if j >= 0 else len(out)]


@unittest.skipUnless(PLUGIN and ETCDCTL_EXT, "KUBECTL_ETCDRESTORE and ETCDCTL_EXT must be set (run through ctest)")
@unittest.skipUnless(shutil.which("kubectl") and shutil.which("etcd"), "kubectl or etcd missing")
class DemoTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="etcdrestore-demo-e2e-")

    def tearDown(self):
        if not os.environ.get("ETCDRESTORE_KEEP_E2E"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def demo(self, scenario, demo_dir, etcdctl_ext=ETCDCTL_EXT):
        env = dict(os.environ, DEMO_DIR=demo_dir, KUBECTL_ETCDRESTORE=PLUGIN, ETCDCTL_EXT=etcdctl_ext)
        t = time.monotonic()
        r = subprocess.run(["bash", DEMO, scenario], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=1500)
        print("\n[time] demo.sh %s: %.1f s" % (scenario, time.monotonic() - t), file=sys.stderr)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def check_scenario(self, out, root, nodes, leader_line):
        # Before the delete: the Deployment object exists (no controller-manager: 0 ready).
        before = section(out, "$ kubectl apply -f nginx-deployment.yaml", "cp-1# kubectl etcdrestore save")
        self.assertIn("deployment.apps/nginx-deployment created", before)
        self.assertRegex(before, r"(?m)^nginx-deployment +0/2 ")
        self.assertIn("/registry/deployments/default/nginx-deployment\n", before)
        # The real nodes and their mirror pods, as the kubelets report them.
        up = section(out, "$ kubectl get nodes -o wide", "$ kubectl apply -f nginx-deployment.yaml")
        for n in nodes:
            self.assertRegex(up, r"(?m)^%s +Ready +" % n)
            self.assertRegex(up, r"(?m)^etcd-%s +1/1 +Running " % n)
            self.assertRegex(up, r"(?m)^kube-apiserver-%s +1/1 +Running " % n)
        save = section(out, "cp-1# kubectl etcdrestore save backup/snapshot.db", "cp-1# etcdctl-ext snapshot status")
        self.assertIn("Snapshot saved to /root/backup/snapshot.db", save)
        deleted = section(out, "$ kubectl delete deployment nginx-deployment", "cp-1# kubectl etcdrestore plan")
        self.assertIn('deployment.apps "nginx-deployment" deleted', deleted)
        self.assertIn("No resources found in default namespace.", deleted)
        self.assertIn(leader_line, out)
        # Every phase on every node, in that order, each typed on the node it runs on.
        phases = re.findall(r"(?m)^(cp-\d)# sh plan/etcdrestore-(cp-\d)\.sh (\w+)$", out)
        self.assertEqual(len(phases), 6 * len(nodes), phases)
        self.assertEqual([p for _, _, p in phases][::len(nodes)],
                         ["check", "stop", "restore", "start", "verify", "finish"])
        self.assertTrue(all(a == b for a, b, _ in phases))
        self.assertEqual(sorted(set(n for n, _, _ in phases)), sorted(nodes))
        after = out[out.rindex("sh plan/etcdrestore-"):]
        self.assertRegex(after, r"(?m)^nginx-deployment +0/2 ")
        self.assertRegex(after, r"(?m)^etcd-cp-1 +1/1 +Running ")
        # The manifests point at the restored dirs; the old data is kept aside (the nodes' /var is
        # an overlay: what they wrote is in its upper dir).
        for n in nodes:
            node = root + "/cluster/nodes/" + n
            with open(node + "/etc-kubernetes/manifests/etcd.yaml") as f:
                manifest = f.read()
            data = re.search(r"(?m)^    - --data-dir=(\S+)$", manifest).group(1)
            self.assertRegex(data, r"^/var/lib/etcd.+")
            self.assertIn("      path: %s\n" % data, manifest)
            var_lib = node + "/overlay/var/upper/lib"
            self.assertTrue(os.path.isdir(var_lib + data[len("/var/lib"):] + "/member/wal"), data)
            # (a dir moved away from the lower layer leaves a whiteout, a character device: not a dir)
            kept = [d for d in os.listdir(var_lib) if d.startswith("etcd") and d != os.path.basename(data) and
                    os.path.isdir(os.path.join(var_lib, d))]
            self.assertEqual(len(kept), 1, kept)
            self.assertTrue(os.path.isdir(var_lib + "/%s/member/wal" % kept[0]))
            self.assertEqual(sorted(os.listdir(node + "/etc-kubernetes/manifests")), ["etcd.yaml", "kube-apiserver.yaml"])

    def test_demo_single_and_ha(self):
        d = os.path.join(self.tmp, "demo")
        rc, out, err = self.demo("all", d)
        self.assertEqual(rc, 0, "stdout:\n%s\nstderr:\n%s" % (out[-6000:], err[-3000:]))
        self.assertIn("DEMO OK: every scenario ended with nginx-deployment back", out)
        single = section(out, "== Seed 002", "== Seed 000")
        self.check_scenario(single, d + "/single", ["cp-1"],
                            "cp-1# kubectl etcdrestore plan --from backup/snapshot.db.json -o script --out-dir plan")
        ha = out[out.index("== Seed 000"):]
        self.assertRegex(ha, r"\| +https://127\.0\.1\.\d:52379 +\| +\w+ +\| +3\.4\.23 +\|")
        self.check_scenario(ha, d + "/ha", ["cp-1", "cp-2", "cp-3"],
                            "cp-1# kubectl etcdrestore plan --from backup/snapshot.db.json --leader cp-")
        self.assertEqual(processes_mentioning(d), [])

    def test_demo_fails_when_the_restore_fails_and_stops_everything(self):
        # An etcdctl-ext whose `snapshot restore` always refuses: the plan's check phase fails.
        wrapper = os.path.join(self.tmp, "etcdctl-ext-broken")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\ncase " $* " in *" snapshot restore "*) echo "broken on purpose" >&2; exit 1;; esac\n'
                    'exec %s "$@"\n' % ETCDCTL_EXT)
        os.chmod(wrapper, stat.S_IRWXU)
        d = os.path.join(self.tmp, "broken")
        rc, out, err = self.demo("single", d, etcdctl_ext=wrapper)
        self.assertEqual(rc, 1, "stdout:\n%s\nstderr:\n%s" % (out[-3000:], err[-3000:]))
        self.assertIn("DEMO FAILED: `sh plan/etcdrestore-cp-1.sh check` exited with 1", err)
        self.assertIn("broken on purpose", out)
        self.assertNotIn("DEMO OK", out)
        self.assertIn("demo: files kept in " + d, err)
        self.assertEqual(processes_mentioning(d), [])


if __name__ == "__main__":
    unittest.main()
