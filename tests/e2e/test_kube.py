"""kubectl-etcdrestore discover/save against a real kube-apiserver (v1.20, built from
Debian's source by scripts/kube-apiserver.sh) and real etcd members (3.4.23 and 3.5).

One kube-apiserver serves every test in this module (start-up ~4 s), without kubelets: each
scenario creates the Node objects and the kubeadm mirror pods a kubelet would, describing real
local etcd members (with kubelets this is e2e.plan's real nodes, tests/e2e/realnode.py: save
direct on a node and --via exec through a real kubelet), then runs the plugin. Scenarios: single node (the
apiserver's own etcd), three-node stacked HA on etcd 3.5 (one member's flags in `--f v`
form, one with a non-default data dir), external etcd (no etcd pods: found through the
kube-apiserver pod's --etcd-servers), and the error cases (RBAC 403, wrong CA, unreachable
server, exec credential plugins, bearer token).
"""

import json
import os
import shutil
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, find_etcd, free_port, run  # noqa: E402
from kube_harness import KUBECTL, KubeApiServer  # noqa: E402

PLUGIN = os.environ.get("KUBECTL_ETCDRESTORE", "")
API = None


def setUpModule():
    global API
    if not PLUGIN or not os.access(PLUGIN, os.X_OK):
        raise unittest.SkipTest("KUBECTL_ETCDRESTORE is not set to the built kubectl-etcdrestore binary")
    if not os.access(KUBECTL, os.X_OK):
        raise unittest.SkipTest("kubectl not found at %s" % KUBECTL)
    API = KubeApiServer()
    API.__enter__()


def tearDownModule():
    if API:
        API.close()


def plugin(*args, kubeconfig=None, env=None, timeout=120):
    e = {"KUBECONFIG": kubeconfig or API.kubeconfig, "HOME": API.dir}
    e.update(env or {})
    return run([PLUGIN, *args], env=e, timeout=timeout)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def etcdctl_json(etcd, *args):
    r = run(["/usr/bin/etcdctl", *etcd.client_flags(), *args, "-w", "json"])
    assert r.rc == 0, r
    return json.loads(r.stdout)


def restore_and_check(testcase, snapshot, name, peer_url, expect_keys):
    """Restores snapshot with etcdctl-ext, boots real etcd 3.4 on it, checks keys exist."""
    if not ETCDCTL_EXT:
        testcase.skipTest("ETCDCTL_EXT not set")
    data = os.path.join(API.dir, "restored-" + name + "-" + str(time.monotonic_ns()))
    r = run([ETCDCTL_EXT, "snapshot", "restore", snapshot, "--name", name, "--data-dir", data,
             "--initial-cluster", "%s=%s" % (name, peer_url), "--initial-advertise-peer-urls", peer_url])
    testcase.assertEqual(r.rc, 0, r)
    e = API.cluster.start_etcd("3.4", name=name, data_dir=data)
    try:
        for key in expect_keys:
            r = run(["/usr/bin/etcdctl", *e.client_flags(), "get", key, "--keys-only"])
            testcase.assertEqual(r.rc, 0, r)
            testcase.assertEqual(r.stdout.strip(), key.encode(), "key %s missing after restore" % key)
    finally:
        e.stop()


class SingleNode(unittest.TestCase):
    """kubeadm single node: the mirror pod describes the apiserver's own etcd (3.4.23)."""

    @classmethod
    def setUpClass(cls):
        API.reset_control_plane()
        API.add_node("cp1")
        API.add_etcd_pod("cp1", API.etcd, certs_host_dir=API.pki.path("etcd"))
        API.add_apiserver_pod("cp1", [API.etcd.client_url], pki_host_dir=API.pki.dir)
        API.add_kubeadm_config()

    def test_discover_json(self):
        r = plugin("discover", "-o", "json")
        self.assertEqual(r.rc, 0, r)
        t = json.loads(r.stdout)
        self.assertEqual(t["kubernetesVersion"], "v1.20.2")
        self.assertFalse(t["externalEtcd"])
        self.assertEqual(t["problems"], [])
        [m] = t["members"]
        self.assertEqual(m["name"], "cp1")
        self.assertEqual(m["pod"]["name"], "etcd-cp1")
        self.assertEqual(m["pod"]["node"], "cp1")
        self.assertEqual(m["pod"]["nodeAddress"], "127.0.0.1")
        self.assertEqual(m["pod"]["phase"], "Running")
        self.assertTrue(m["pod"]["mirror"])
        self.assertEqual(m["pod"]["manifestPath"], "/etc/kubernetes/manifests/etcd.yaml")  # kubelet-config-1.20
        self.assertEqual(m["version"], "3.4.13")
        self.assertEqual(m["clientURLs"], [API.etcd.client_url])
        self.assertEqual(m["peerURLs"], [API.etcd.peer_url])
        self.assertEqual(m["dataDir"], "/var/lib/etcd")
        self.assertEqual(m["dataHostPath"], API.etcd.data_dir)
        self.assertEqual(m["server"]["certFile"], "/etc/kubernetes/pki/etcd/server.crt")
        self.assertEqual(m["server"]["trustedCaFile"], "/etc/kubernetes/pki/etcd/ca.crt")
        self.assertTrue(m["server"]["clientCertAuth"])
        [a] = t["apiservers"]
        self.assertEqual(a["etcdServers"], [API.etcd.client_url])
        self.assertEqual(a["etcdCertfile"], "/etc/kubernetes/pki/apiserver-etcd-client.crt")
        self.assertEqual(t["clusterConfiguration"]["kubernetesVersion"], "v1.20.2")
        self.assertTrue(t["clusterConfiguration"]["localEtcd"])

    def test_discover_table_and_yaml(self):
        r = plugin("discover")
        self.assertEqual(r.rc, 0, r)
        lines = r.stdout.decode().splitlines()
        self.assertRegex(lines[0], r"^MEMBER +NODE +ADDRESS +PHASE +VERSION +CLIENT URLS +PEER URLS +DATA DIR +HOST PATH$")
        self.assertRegex(lines[1], r"^cp1 +cp1 +127\.0\.0\.1 +Running +3\.4\.13 +%s " % API.etcd.client_url)
        self.assertIn("kube-apiserver-cp1", r.stdout.decode())
        self.assertIn("kubernetes v1.20.2, kubeadm ClusterConfiguration kubeadm.k8s.io/v1beta2", r.stdout.decode())
        self.assertNotIn("problems:", r.stdout.decode())
        y = plugin("discover", "-o", "yaml")
        self.assertEqual(y.rc, 0, y)
        self.assertIn(b'kubernetesVersion: "v1.20.2"', y.stdout)
        bad = plugin("discover", "-o", "wide")
        self.assertEqual(bad.rc, 1)
        self.assertIn(b'error: unable to match a printer suitable for the output format "wide"', bad.stderr)

    def test_save_direct_then_restore(self):
        out = os.path.join(API.dir, "single.db")
        r = plugin("save", out)
        self.assertEqual(r.rc, 0, r)
        text = r.stdout.decode()
        self.assertIn("Snapshot saved to " + out, text)
        self.assertIn("client cert: etcd client cert of pod kube-apiserver-cp1", text)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        self.assertFalse(os.path.exists(out + ".part"))
        side = load_json(out + ".json")
        status = etcdctl_json(API.etcd, "endpoint", "status")[0]["Status"]
        self.assertEqual(side["clusterID"], "%x" % status["header"]["cluster_id"])
        self.assertEqual(side["source"]["memberID"], "%x" % status["header"]["member_id"])
        self.assertEqual(side["source"]["method"], "direct")
        self.assertEqual(side["source"]["certFile"], API.pki.path("apiserver-etcd-client.crt"))
        self.assertEqual(side["members"][0]["dataHostPath"], API.etcd.data_dir)
        self.assertEqual(side["kubernetesVersion"], "v1.20.2")
        # The snapshot facts agree with the real etcdctl's snapshot status.
        st = json.loads(run(["/usr/bin/etcdctl", "snapshot", "status", out, "-w", "json"]).stdout)
        self.assertEqual(side["snapshot"]["hash"], st["hash"])
        self.assertEqual(side["snapshot"]["revision"], st["revision"])
        self.assertEqual(side["snapshot"]["totalKeys"], st["totalKey"])
        self.assertEqual(side["snapshot"]["size"], os.path.getsize(out))
        import hashlib
        self.assertEqual(side["snapshot"]["sha256"], hashlib.sha256(read(out, "rb")).hexdigest())
        # No secrets in the sidecar: no PEM key material, no token.
        raw = read(out + ".json")
        self.assertNotIn("PRIVATE KEY", raw)
        self.assertNotIn(API.STATIC_TOKEN, raw)
        # Refuses to overwrite.
        again = plugin("save", out)
        self.assertEqual(again.rc, 1)
        self.assertIn(b"already exists", again.stderr)
        # The snapshot restores, and real etcd serves the cluster's objects from it.
        restore_and_check(self, out, "cp1r", "http://127.0.0.1:%d" % free_port(),
                          ["/registry/pods/kube-system/etcd-cp1", "/registry/minions/cp1"])

    def test_save_json_output(self):
        out = os.path.join(API.dir, "single-json.db")
        r = plugin("save", out, "-o", "json")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.stdout), load_json(out + ".json"))


class ExecRbac(unittest.TestCase):
    """save --via exec refused by RBAC (the kube-apiserver answers before any kubelet is asked).
    save --via exec through a REAL kubelet into the distroless etcd image is e2e.plan's
    SingleNode.test_save_via_exec_through_the_real_kubelet (tests/e2e/realnode.py)."""

    @classmethod
    def setUpClass(cls):
        API.reset_control_plane()
        API.add_node("cp1")
        API.add_etcd_pod("cp1", API.etcd, certs_host_dir=API.pki.path("etcd"))
        API.add_apiserver_pod("cp1", [API.etcd.client_url], pki_host_dir=API.pki.dir)
        API.add_kubeadm_config()

    def test_partial_rbac(self):
        # A user who may read pods in kube-system but nothing else: discovery still works and
        # says what it could not read; exec is refused naming the verb and resource.
        API.kubectl("-n", "kube-system", "create", "role", "pod-reader", "--verb=get,list", "--resource=pods",
                    check=False)
        API.kubectl("-n", "kube-system", "create", "rolebinding", "nobody-pod-reader", "--role=pod-reader",
                    "--user=nobody", check=False)
        kc = API.write_kubeconfig("nobody-pods.conf", user={
            "client-certificate": API.pki.path("nobody.crt"), "client-key": API.pki.path("nobody.key")})
        r = plugin("discover", "-o", "json", kubeconfig=kc)
        self.assertEqual(r.rc, 0, r)
        problems = {p["object"]: p["message"] for p in json.loads(r.stdout)["problems"]}
        self.assertEqual(problems["nodes"], 'list nodes: forbidden: User "nobody" cannot list resource "nodes" in API '
                                            'group "" at the cluster scope (check: kubectl auth can-i list nodes)')
        self.assertIn('get configmaps kubeadm-config in namespace kube-system: forbidden: User "nobody" cannot get '
                      'resource "configmaps"', problems["configmap kube-system/kubeadm-config"])
        e = plugin("save", os.path.join(API.dir, "rbac.db"), "--via", "exec", kubeconfig=kc)
        self.assertEqual(e.rc, 1)
        self.assertIn('create pods/exec etcd-cp1 in namespace kube-system: forbidden: User "nobody" cannot get '
                      'resource "pods/exec" in API group "" in the namespace "kube-system"', e.stderr.decode())

class StackedHa(unittest.TestCase):
    """Three stacked members on etcd 3.5; cp2's flags in `--f v` form, cp3 with a
    non-default data dir (/data/etcd-custom in the container)."""

    VERSION = "3.5.16"

    @classmethod
    def setUpClass(cls):
        if find_etcd(cls.VERSION) is None:
            raise unittest.SkipTest("etcd %s not installed" % cls.VERSION)
        API.reset_control_plane()
        ports = {n: (free_port(), free_port()) for n in ("cp1", "cp2", "cp3")}
        ic = ",".join("%s=http://127.0.0.1:%d" % (n, p[1]) for n, p in ports.items())
        cls.members = {}
        cls.initial_cluster = ic
        for n, (cport, pport) in ports.items():
            cls.members[n] = API.cluster.start_etcd(cls.VERSION, name=n, client_port=cport, peer_port=pport,
                                                    initial_cluster=ic, tls=API.etcd_tls, wait=False,
                                                    initial_cluster_token="ha-e2e")
        for m in cls.members.values():
            m.wait_ready()
        for i in range(50):
            cls.members["cp1"].put("/registry/configmaps/default/cm%02d" % i, "x" * 100)
        for n, m in cls.members.items():
            API.add_node(n)
            API.add_etcd_pod(n, m, certs_host_dir=API.pki.path("etcd"), initial_cluster=ic,
                             space_form=(n == "cp2"), data_dir="/data/etcd-custom" if n == "cp3" else "/var/lib/etcd",
                             image="registry.k8s.io/etcd:3.5.16-0")
            API.add_apiserver_pod(n, [m.client_url], pki_host_dir=API.pki.dir)
        API.add_kubeadm_config()

    @classmethod
    def tearDownClass(cls):
        for m in getattr(cls, "members", {}).values():
            m.stop()

    def test_discover(self):
        r = plugin("discover", "-o", "json")
        self.assertEqual(r.rc, 0, r)
        t = json.loads(r.stdout)
        self.assertEqual([m["name"] for m in t["members"]], ["cp1", "cp2", "cp3"])
        self.assertEqual(t["problems"], [])
        by = {m["name"]: m for m in t["members"]}
        for n, m in self.members.items():
            self.assertEqual(by[n]["clientURLs"], [m.client_url])
            self.assertEqual(by[n]["dataHostPath"], m.data_dir)
            self.assertEqual(by[n]["version"], "3.5.16")
            self.assertEqual(by[n]["initialClusterToken"], "")
        self.assertEqual(by["cp2"]["server"]["keyFile"], "/etc/kubernetes/pki/etcd/server.key")  # `--f v` form
        self.assertEqual(by["cp3"]["dataDir"], "/data/etcd-custom")
        self.assertEqual(t["endpoints"], [self.members[n].client_url for n in ("cp1", "cp2", "cp3")])

    def test_save_member_and_sidecar(self):
        out = os.path.join(API.dir, "ha-cp3.db")
        r = plugin("save", out, "--member", "cp3")
        self.assertEqual(r.rc, 0, r)
        side = load_json(out + ".json")
        self.assertEqual(side["source"]["member"], "cp3")
        self.assertEqual(side["source"]["etcdVersion"], "3.5.16")
        listed = etcdctl_json(self.members["cp1"], "member", "list")
        want = {m["name"]: "%x" % m["ID"] for m in listed["members"]}
        self.assertEqual({m["name"]: m["id"] for m in side["members"]}, want)
        self.assertEqual(side["clusterID"], "%x" % listed["header"]["cluster_id"])
        cp3 = [m for m in side["members"] if m["name"] == "cp3"][0]
        self.assertEqual(cp3["dataDir"], "/data/etcd-custom")
        self.assertEqual(cp3["dataHostPath"], self.members["cp3"].data_dir)
        restore_and_check(self, out, "har", "http://127.0.0.1:%d" % free_port(),
                          ["/registry/configmaps/default/cm49"])

    def test_save_unknown_member(self):
        r = plugin("save", os.path.join(API.dir, "nope.db"), "--member", "cp9")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.stderr, b'error: no member named "cp9" (members: cp1, cp2, cp3)\n')

    def test_save_picks_highest_raft_index_when_one_member_is_down(self):
        self.members["cp2"].stop()
        try:
            out = os.path.join(API.dir, "ha-down.db")
            r = plugin("save", out, "--connect-timeout", "2")
            self.assertEqual(r.rc, 0, r)
            self.assertIn(load_json(out + ".json")["source"]["member"], ("cp1", "cp3"))
            down = plugin("save", out + "2", "--member", "cp2", "--connect-timeout", "1")
            self.assertEqual(down.rc, 1)
            self.assertIn(b'error: member "cp2" is not healthy', down.stderr)
        finally:
            m = self.members["cp2"]
            restarted = API.cluster.start_etcd(self.VERSION, name="cp2", data_dir=m.data_dir,
                                               client_port=m.client_port, peer_port=m.peer_port,
                                               tls=API.etcd_tls, initial_cluster=self.initial_cluster,
                                               initial_cluster_token="ha-e2e")
            self.members["cp2"] = restarted


class ExternalEtcd(unittest.TestCase):
    """No etcd pods: etcd is found through the kube-apiserver pod's --etcd-servers."""

    @classmethod
    def setUpClass(cls):
        API.reset_control_plane()
        cls.ext = API.cluster.start_etcd("3.4", name="ext1", tls=API.etcd_tls)
        cls.ext.put("/registry/secrets/default/s1", "v")
        API.add_node("cp1")
        API.add_apiserver_pod("cp1", [cls.ext.client_url], pki_host_dir=API.pki.dir)
        API.add_kubeadm_config(external_endpoints=[cls.ext.client_url])

    @classmethod
    def tearDownClass(cls):
        cls.ext.stop()

    def test_discover_and_save(self):
        r = plugin("discover", "-o", "json")
        self.assertEqual(r.rc, 0, r)
        t = json.loads(r.stdout)
        self.assertTrue(t["externalEtcd"])
        self.assertEqual(t["members"], [])
        self.assertEqual(t["endpoints"], [self.ext.client_url])
        self.assertTrue(t["clusterConfiguration"]["externalEtcd"])
        table = plugin("discover").stdout.decode()
        self.assertIn("external etcd (no etcd pods in kube-system): " + self.ext.client_url, table)
        out = os.path.join(API.dir, "external.db")
        s = plugin("save", out)
        self.assertEqual(s.rc, 0, s)
        side = load_json(out + ".json")
        self.assertTrue(side["externalEtcd"])
        self.assertEqual(side["source"]["member"], "ext1")
        self.assertEqual([m["name"] for m in side["members"]], ["ext1"])
        restore_and_check(self, out, "extr", "http://127.0.0.1:%d" % free_port(), ["/registry/secrets/default/s1"])

    def test_exec_needs_pods(self):
        r = plugin("save", os.path.join(API.dir, "x.db"), "--via", "exec")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.stderr, b"error: --via exec needs etcd pods; this cluster's etcd is external\n")


class Errors(unittest.TestCase):
    """Client-side failures: RBAC, TLS, unreachable server, credentials."""

    def test_forbidden_names_verb_and_resource(self):
        kc = API.write_kubeconfig("nobody.conf", user={
            "client-certificate": API.pki.path("nobody.crt"), "client-key": API.pki.path("nobody.key")})
        r = plugin("discover", kubeconfig=kc)
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.stderr.decode(),
                         'error: list pods in namespace kube-system: forbidden: User "nobody" cannot list resource '
                         '"pods" in API group "" in the namespace "kube-system" '
                         '(check: kubectl auth can-i list pods -n kube-system)\n')

    def test_wrong_ca(self):
        kc = API.write_kubeconfig("wrong-ca.conf", ca=API.pki.path("other-ca.crt"), user={
            "client-certificate": API.pki.path("admin.crt"), "client-key": API.pki.path("admin.key")})
        r = plugin("discover", kubeconfig=kc)
        self.assertEqual(r.rc, 1)
        self.assertIn(b"error: unable to connect to the server: tls: certificate verify failed for 127.0.0.1:%d"
                      % API.port, r.stderr)
        self.assertIn(b"unable to get local issuer certificate", r.stderr)
        # --insecure-skip-tls-verify gets through; --tls-server-name with a wrong name does not.
        self.assertEqual(plugin("discover", "--insecure-skip-tls-verify", kubeconfig=kc).rc, 0)
        bad = plugin("discover", "--tls-server-name", "not-the-apiserver.example")
        self.assertEqual(bad.rc, 1)
        self.assertIn(b"hostname mismatch", bad.stderr)
        good = plugin("discover", "--tls-server-name", "kubernetes")
        self.assertEqual(good.rc, 0, good)

    def test_unreachable_server(self):
        port = free_port()
        start = time.monotonic()
        r = plugin("discover", "-s", "https://127.0.0.1:%d" % port)
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.stderr.decode(), "error: the connection to the server 127.0.0.1:%d was refused - did you "
                                            "specify the right host or port?\n" % port)
        self.assertLess(time.monotonic() - start, 5)

    def test_bearer_token_flag_and_no_leak(self):
        r = plugin("discover", "-o", "json", "--token", API.STATIC_TOKEN)
        self.assertEqual(r.rc, 0, r)
        bad = plugin("discover", "--token", "wrong-token-value-123")
        self.assertEqual(bad.rc, 1)
        self.assertIn(b"Unauthorized", bad.stderr)
        self.assertNotIn(b"wrong-token-value-123", bad.stderr + bad.stdout)

    def _plugin_kubeconfig(self, api_version, script_body):
        script = os.path.join(API.dir, "cred-plugin-%s.sh" % api_version.split("/")[-1])
        with open(script, "w") as f:
            f.write("#!/bin/sh\n" + script_body)
        os.chmod(script, 0o755)
        return API.write_kubeconfig("exec-%s.conf" % api_version.split("/")[-1], user={
            "exec": {"apiVersion": api_version, "command": script, "args": ["--cluster", "e2e"],
                     "env": [{"name": "E2E_TOKEN", "value": API.STATIC_TOKEN}],
                     "provideClusterInfo": True, "interactiveMode": "Never"}})

    def test_exec_credential_plugins_v1_and_v1beta1(self):
        for version in ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"):
            with self.subTest(version=version):
                body = ('echo "$KUBERNETES_EXEC_INFO" > "%s/exec-info-$$.json"\n'
                        'cat <<EOF\n{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"$E2E_TOKEN"}}\nEOF\n'
                        % (API.dir, version))
                kc = self._plugin_kubeconfig(version, body)
                r = plugin("discover", "-o", "json", kubeconfig=kc)
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(json.loads(r.stdout)["kubernetesVersion"], "v1.20.2")
                self.assertNotIn(API.STATIC_TOKEN.encode(), r.stdout + r.stderr)

    def test_exec_credential_plugin_failures(self):
        kc = self._plugin_kubeconfig("client.authentication.k8s.io/v1", "echo 'plugin: no login' >&2\nexit 3\n")
        r = plugin("discover", kubeconfig=kc)
        self.assertEqual(r.rc, 1)
        self.assertIn(b"plugin: no login", r.stderr)  # the plugin's own stderr reaches the user
        self.assertIn(b"failed with exit code 3", r.stderr)
        kc = self._plugin_kubeconfig("client.authentication.k8s.io/v1",
                                     'echo \'{"apiVersion":"client.authentication.k8s.io/v1beta1",'
                                     '"kind":"ExecCredential","status":{"token":"x"}}\'\n')
        r = plugin("discover", kubeconfig=kc)
        self.assertEqual(r.rc, 1)
        self.assertIn(b"exec plugin is configured to use API version client.authentication.k8s.io/v1, "
                      b"plugin returned version client.authentication.k8s.io/v1beta1", r.stderr)

    def test_kubeconfig_selection(self):
        # Several files in KUBECONFIG: the first file's current-context is used; --context
        # picks another; an unknown one fails like kubectl.
        other = API.write_kubeconfig("other.conf", server="https://127.0.0.1:1", user={"token": "x"})
        merged = "%s:%s:/nonexistent/file" % (API.kubeconfig, other)
        self.assertEqual(plugin("discover", kubeconfig=merged).rc, 0)
        r = plugin("discover", "--context", "nope", kubeconfig=merged)
        self.assertEqual(r.rc, 1)
        self.assertIn(b"error: context was not found for specified context: nope", r.stderr)
        r = plugin("discover", "--kubeconfig", "/nonexistent/kc")
        self.assertEqual(r.stderr, b"error: stat /nonexistent/kc: no such file or directory\n")
        r = plugin("discover", "--request-timeout", "abc")
        self.assertIn(b"error: Invalid timeout value", r.stderr)
        # ~/.kube/config when KUBECONFIG is unset.
        home = os.path.join(API.dir, "home")
        os.makedirs(os.path.join(home, ".kube"), exist_ok=True)
        shutil.copy(API.kubeconfig, os.path.join(home, ".kube", "config"))
        r = plugin("discover", env={"KUBECONFIG": None, "HOME": home})
        self.assertEqual(r.rc, 0, r)
        r = plugin("discover", env={"KUBECONFIG": None, "HOME": os.path.join(API.dir, "empty-home")})
        self.assertEqual(r.rc, 1)
        self.assertIn(b"error: no server to connect to: no current context", r.stderr)


if __name__ == "__main__":
    unittest.main()
