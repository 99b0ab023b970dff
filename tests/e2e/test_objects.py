"""kubectl etcdrestore inspect / get / diff / recover on snapshots of a real kube-apiserver's etcd.

A real kube-apiserver v1.20 (kube_harness.py) over real etcd 3.4.23 stores a namespace with
a Deployment, a ConfigMap, a Secret, a Service, a ServiceAccount, a Pod, a PVC and a CRD;
the real etcdctl saves the snapshot; the plugin reads it offline and its answers are
compared with what kubectl showed of the live objects (for -o json|yaml of built-in kinds,
the build must have the API's schemas: scripts/k8s-protos.sh, which scripts/test.sh runs).

The custom resource (a CronTab of a CRD) goes through the live API like every other object:
created, listed, deleted and recovered by the real kube-apiserver. (Built from Debian's source
with its vendored reflect2 1.0.1 the apiserver died with SIGSEGV on any custom-resource
request under Go 1.19; scripts/kube-apiserver.sh builds it with Debian's reflect2 1.0.2.)
"""
import json
import os
import unittest

import yaml

from harness import run
from kube_harness import KUBECTL, KubeApiServer

PLUGIN = os.environ.get("KUBECTL_ETCDRESTORE", "")
API = None
SNAP = None
LIVE = {}
ALL_LIVE = {}

# A Pod with what the printer must render like the API: quantities, IntOrString ports (named
# and numbered), an empty env value, volumes (an inline struct in Go), labels and annotations.
POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "p1", "namespace": "shop", "labels": {"app": "p"}, "annotations": {"note": "x"}},
       "spec": {"containers": [{
           "name": "c", "image": "nginx:1.14.2", "ports": [{"name": "http", "containerPort": 80}],
           "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "0.1", "memory": "100M"}},
           "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5},
           "livenessProbe": {"tcpSocket": {"port": 80}},
           "env": [{"name": "EMPTY", "value": ""},
                   {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
           "volumes": [{"name": "scratch", "emptyDir": {}},
                       {"name": "cm", "configMap": {"name": "settings", "defaultMode": 420}}]}}

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {"group": "stable.example.com", "scope": "Namespaced",
             "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "properties": {
                                   "cronSpec": {"type": "string"}, "image": {"type": "string"}}}}}}}]}}


def setUpModule():
    global API, SNAP
    if not PLUGIN or not os.access(PLUGIN, os.X_OK):
        raise unittest.SkipTest("KUBECTL_ETCDRESTORE is not set to the built kubectl-etcdrestore binary")
    API = KubeApiServer()
    API.__enter__()
    API.kubectl("create", "namespace", "shop")
    API.kubectl("-n", "shop", "create", "deployment", "nginx-deployment", "--image=nginx:1.14.2")
    API.kubectl("-n", "shop", "create", "configmap", "settings", "--from-literal=color=blue")
    API.kubectl("-n", "shop", "create", "secret", "generic", "db-pass", "--from-literal=password=hunter2")
    API.kubectl("-n", "shop", "create", "service", "clusterip", "web", "--tcp=80:80")
    API.apply(CRD)
    API.kubectl("wait", "--for=condition=Established", "crd/crontabs.stable.example.com", "--timeout=60s")
    API.apply({"apiVersion": "stable.example.com/v1", "kind": "CronTab",
               "metadata": {"name": "nightly", "namespace": "shop", "labels": {"team": "ops"}},
               "spec": {"cronSpec": "0 3 * * *", "image": "backup:1"}})
    LIVE["crontab/nightly"] = json.loads(API.kubectl("-n", "shop", "get", "crontab/nightly", "-o", "json").stdout)
    API.kubectl("-n", "shop", "create", "serviceaccount", "robot")
    API.apply(POD)
    API.apply({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "shop"},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    for what in ("deployment/nginx-deployment", "configmap/settings", "secret/db-pass", "service/web",
                 "serviceaccount/robot", "pod/p1"):
        LIVE[what + "+managed"] = full = kubectl_json("-n", "shop", "get", what)
        LIVE[what] = without_managed_fields(full)
    # Every listable type, as kubectl shows it (compared below where unchanged since).
    for t in API.kubectl("api-resources", "--verbs=list", "-o", "name").stdout.decode().split():
        r = API.kubectl("get", t, "-A", "-o", "json", check=False)
        if r.rc == 0:
            ALL_LIVE[t] = [without_managed_fields(o) for o in json.loads(r.stdout)["items"]]
    SNAP = os.path.join(API.dir, "objects.db")
    r = run(["/usr/bin/etcdctl", *API.etcd.client_flags(), "snapshot", "save", SNAP], env={"ETCDCTL_API": "3"})
    assert r.rc == 0, r


def kubectl_json(*args):
    """An object as the API returns it, managedFields included: kubectl >= 1.21 hides them
    unless --show-managed-fields, older ones know no such flag and always show them."""
    r = API.kubectl(*args, "-o", "json", "--show-managed-fields", check=False)
    if r.rc != 0:
        r = API.kubectl(*args, "-o", "json")
    return json.loads(r.stdout)


def without_managed_fields(obj):
    """What kubectl >= 1.21 prints by default, and the plugin too."""
    obj = json.loads(json.dumps(obj))
    obj["metadata"].pop("managedFields", None)
    return obj


def tearDownModule():
    if API:
        API.close()


def plugin(*args):
    return run([PLUGIN, *args], env={"KUBECONFIG": API.kubeconfig, "HOME": API.dir}, timeout=120)


class Inspect(unittest.TestCase):
    def test_counts_per_resource_and_namespace(self):
        r = plugin("inspect", SNAP, "-o", "json")
        self.assertEqual(r.rc, 0, r)
        inv = json.loads(r.stdout)
        live = json.loads(API.kubectl("get", "namespaces", "-o", "json").stdout)
        self.assertEqual(inv["resources"]["namespaces"], len(live["items"]))
        self.assertEqual(inv["resources"]["deployments"], 1)
        self.assertEqual(inv["resources"]["services/specs"], 2)  # kubernetes and web
        self.assertEqual(inv["resources"]["crontabs.stable.example.com"], 1)
        self.assertEqual(inv["resources"]["customresourcedefinitions.apiextensions.k8s.io"], 1)
        self.assertGreaterEqual(inv["namespaces"]["shop"], 4)  # deployment, configmap, secret, crontab (+ sa)
        self.assertEqual(inv["encryptedAtRest"], {})
        self.assertEqual(inv["undecodable"], 0)
        status = run(["/usr/bin/etcdctl", "snapshot", "status", SNAP, "-w", "json"], env={"ETCDCTL_API": "3"})
        self.assertEqual(inv["revision"], json.loads(status.stdout)["revision"])
        self.assertLessEqual(len(inv["largest"]), 10)

    def test_text_output(self):
        r = plugin("inspect", SNAP)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"Revision:", r.stdout)
        self.assertIn(b"crontabs.stable.example.com", r.stdout)

    def test_not_a_snapshot(self):
        bogus = os.path.join(API.dir, "bogus.db")
        with open(bogus, "wb") as f:
            f.write(b"not a snapshot" * 1000)
        r = plugin("inspect", bogus)
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.stderr.startswith(b"error: "), r)
        self.assertIn(b"invalid database", r.stderr)


class Cli(unittest.TestCase):
    def test_version_and_unknown_command(self):
        r = plugin("version")
        self.assertEqual(r.rc, 0, r)
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "CMakeLists.txt")) as f:
            version = [l for l in f if l.startswith("project(etcdrestore VERSION ")][0].split()[2]
        self.assertEqual(r.stdout, b"kubectl-etcdrestore %s\n" % version.encode())
        r = plugin("version", "-o", "json")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.stdout), {"name": "kubectl-etcdrestore", "version": version})
        r = plugin("foo")
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.stderr.startswith(b'error: unknown command "foo" for "kubectl etcdrestore"'), r)


class Get(unittest.TestCase):
    def test_table_and_name_like_kubectl(self):
        for t in ("deploy", "deployment", "deployments", "deployments.apps"):
            r = plugin("get", SNAP, t, "-n", "shop")
            self.assertEqual(r.rc, 0, r)
            lines = r.stdout.decode().splitlines()
            self.assertEqual(lines[0].split(), ["NAME", "AGE"], t)
            self.assertEqual(lines[1].split()[0], "nginx-deployment", t)
        r = plugin("get", SNAP, "deployments.apps/nginx-deployment", "-n", "shop", "-o", "name")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stdout, b"deployment.apps/nginx-deployment\n")
        r = plugin("get", SNAP, "cm", "-A", "-o", "wide")
        self.assertEqual(r.rc, 0, r)
        rows = [l.split() for l in r.stdout.decode().splitlines()]
        self.assertEqual(rows[0], ["NAMESPACE", "NAME", "AGE", "RESOURCEVERSION", "UID", "KIND"])
        settings = [row for row in rows if row[:2] == ["shop", "settings"]]
        self.assertEqual(len(settings), 1, rows)
        live = LIVE["configmap/settings"]["metadata"]
        self.assertEqual(settings[0][3:5], [live["resourceVersion"], live["uid"]])

    def test_custom_resource_json_equals_the_api(self):
        r = plugin("get", SNAP, "crontabs/nightly", "-n", "shop", "-o", "json")
        self.assertEqual(r.rc, 0, r)
        self.maxDiff = None
        self.assertEqual(json.loads(r.stdout), LIVE["crontab/nightly"])
        r = plugin("get", SNAP, "crontabs.stable.example.com", "-n", "shop", "-o", "yaml")
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"kind: \"List\"", r.stdout)

    def test_builtin_json_equals_kubectl(self):
        """-o json of built-in kinds (protobuf in etcd, printed through the API's schemas) equals
        what kubectl printed of the live object before the snapshot, as parsed JSON. Nothing is
        excluded: these objects did not change between kubectl's read and the snapshot (same
        resourceVersion), status included, and both sides leave metadata.managedFields out
        unless --show-managed-fields (compared with it too)."""
        for what in ("deployment/nginx-deployment", "configmap/settings", "secret/db-pass", "service/web",
                     "serviceaccount/robot", "pod/p1"):
            r = plugin("get", SNAP, what, "-n", "shop", "-o", "json")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.stderr, b"", what)
            self.assertEqual(json.loads(r.stdout), LIVE[what], what)
            r = plugin("get", SNAP, what, "-n", "shop", "-o", "json", "--show-managed-fields")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(json.loads(r.stdout), LIVE[what + "+managed"], what)
            if what == "deployment/nginx-deployment":
                self.assertIn("managedFields", json.loads(r.stdout)["metadata"])
            r = plugin("get", SNAP, what, "-n", "shop", "-o", "yaml")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(yaml.safe_load(r.stdout), LIVE[what], what)
        # A list, like kubectl get -o json without a name.
        r = plugin("get", SNAP, "deployments", "-n", "shop", "-o", "json")
        self.assertEqual(r.rc, 0, r)
        doc = json.loads(r.stdout)
        self.assertEqual((doc["apiVersion"], doc["kind"]), ("v1", "List"))
        self.assertEqual(doc["items"], [LIVE["deployment/nginx-deployment"]])

    def test_every_builtin_object_equals_kubectl(self):
        """Every object of every listable built-in type that is unchanged since kubectl listed
        it (same resourceVersion) prints as kubectl printed it, except where the API server does
        more than decode what etcd holds, each named here:
          - apiservices (stored as apiregistration.k8s.io/v1beta1), ingresses (networking.k8s.io/
            v1beta1) and CRDs (apiextensions.k8s.io/v1beta1, as JSON) are served in a newer
            version; we print the stored one;
          - a PVC's status.phase "Pending" is a default the API server applies when it reads
            (not in etcd); we print what etcd holds."""
        compared, other_version = 0, 0
        stored_version = {"apiservices.apiregistration.k8s.io", "ingresses.networking.k8s.io", "ingresses.extensions",
                          "customresourcedefinitions.apiextensions.k8s.io"}
        for t, items in sorted(ALL_LIVE.items()):
            if not items or t == "componentstatuses":  # not stored in etcd: probed live by the API server
                continue
            r = plugin("get", SNAP, t, "-A", "-o", "json")
            self.assertEqual(r.rc, 0, (t, r))
            ours = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in json.loads(r.stdout)["items"]}
            for live in items:
                key = (live["metadata"].get("namespace"), live["metadata"]["name"])
                got = ours.get(key)
                if got is None or got["metadata"]["resourceVersion"] != live["metadata"]["resourceVersion"]:
                    continue  # created or changed between kubectl's list and the snapshot
                if t in stored_version:
                    self.assertNotEqual(got["apiVersion"], live["apiVersion"], (t, key))
                    other_version += 1
                    continue
                if t == "persistentvolumeclaims":
                    self.assertNotIn("phase", got.get("status", {}))
                    got.setdefault("status", {})["phase"] = "Pending"
                self.maxDiff = None
                self.assertEqual(got, live, (t, key))
                compared += 1
        self.assertGreaterEqual(compared, 120)  # the API server's own objects (RBAC, flow control, ...) and ours (148 here)
        self.assertGreaterEqual(other_version, 1)

    def test_missing_name_unknown_type_and_empty_namespace(self):
        r = plugin("get", SNAP, "deploy/nope", "-n", "shop")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b'deployments.apps "nope" not found in the snapshot', r.stderr)
        r = plugin("get", SNAP, "nosuchthings")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b'no resource type "nosuchthings"', r.stderr)
        r = plugin("get", SNAP, "pods", "-n", "empty-ns")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stderr, b"No resources found in empty-ns namespace.\n")
        r = plugin("get", SNAP, "pods", "-o", "bogus")
        self.assertEqual(r.rc, 1, r)


class ChangesSinceTheSnapshot(unittest.TestCase):
    """The seed scenario without a rollback: objects deleted and changed after the backup."""

    @classmethod
    def setUpClass(cls):
        API.kubectl("-n", "shop", "delete", "deployment", "nginx-deployment", "--wait=false")
        API.kubectl("-n", "shop", "delete", "secret", "db-pass")
        API.kubectl("-n", "shop", "delete", "crontab", "nightly")
        API.kubectl("-n", "shop", "patch", "configmap", "settings", "-p", '{"data":{"color":"red"}}')
        API.kubectl("-n", "shop", "delete", "service", "web")
        API.kubectl("-n", "shop", "create", "service", "clusterip", "web", "--tcp=80:80")
        API.kubectl("-n", "shop", "create", "configmap", "newer", "--from-literal=a=b")

    def test_1_diff_names_each_change(self):
        got = {}
        for t in ("deploy", "secrets", "cm", "svc", "crontabs"):
            r = plugin("diff", SNAP, t, "-n", "shop", "-o", "json")
            self.assertEqual(r.rc, 0, r)
            got.update({(d["type"], d["name"]): d["change"] for d in json.loads(r.stdout)})
        self.assertEqual(got.get(("deployments.apps", "nginx-deployment")), "deleted", got)
        self.assertEqual(got.get(("secrets", "db-pass")), "deleted", got)
        self.assertEqual(got.get(("configmaps", "settings")), "changed", got)
        self.assertEqual(got.get(("services", "web")), "replaced", got)
        self.assertEqual(got.get(("configmaps", "newer")), "created", got)
        self.assertEqual(got.get(("crontabs.stable.example.com", "nightly")), "deleted", got)
        r = plugin("diff", SNAP, "cm", "-n", "shop")
        self.assertEqual(r.rc, 0, r)
        rows = [l.split() for l in r.stdout.decode().splitlines()]
        self.assertEqual(rows[0], ["CHANGE", "TYPE", "NAMESPACE", "NAME", "SNAPSHOT-RV", "LIVE-RV"])
        self.assertIn(["changed", "configmaps", "shop", "settings", LIVE["configmap/settings"]["metadata"]["resourceVersion"]],
                      [row[:5] for row in rows])

    def test_2_recover_brings_back_the_deleted_and_never_touches_live(self):
        r = plugin("recover", SNAP, "deploy/nginx-deployment", "-n", "shop", "--dry-run=server")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stdout, b"deployment.apps/nginx-deployment created (server dry run)\n")
        self.assertNotEqual(API.kubectl("-n", "shop", "get", "deploy/nginx-deployment", check=False).rc, 0)
        for what, line in (("deploy/nginx-deployment", b"deployment.apps/nginx-deployment created\n"),
                           ("secret/db-pass", b"secret/db-pass created\n")):
            r = plugin("recover", SNAP, what, "-n", "shop")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.stdout, line)
        dep = json.loads(API.kubectl("-n", "shop", "get", "deployment/nginx-deployment", "-o", "json").stdout)
        self.assertEqual(dep["spec"]["template"], LIVE["deployment/nginx-deployment"]["spec"]["template"])
        self.assertNotEqual(dep["metadata"]["uid"], LIVE["deployment/nginx-deployment"]["metadata"]["uid"])
        sec = json.loads(API.kubectl("-n", "shop", "get", "secret/db-pass", "-o", "json").stdout)
        self.assertEqual(sec["data"], LIVE["secret/db-pass"]["data"])
        self.assertEqual(sec["type"], "Opaque")
        # The custom resource (JSON in etcd), re-created through the live API like the built-ins.
        r = plugin("recover", SNAP, "crontabs/nightly", "-n", "shop")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stdout, b"crontab.stable.example.com/nightly created\n")
        ct = json.loads(API.kubectl("-n", "shop", "get", "crontab/nightly", "-o", "json").stdout)
        self.assertEqual(ct["spec"], LIVE["crontab/nightly"]["spec"])
        self.assertEqual(ct["metadata"]["labels"], {"team": "ops"})
        self.assertNotEqual(ct["metadata"]["uid"], LIVE["crontab/nightly"]["metadata"]["uid"])
        # The changed ConfigMap is live: reported and left alone.
        r = plugin("recover", SNAP, "cm/settings", "-n", "shop")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b"configmap/settings exists live: not touched", r.stderr)
        cm = json.loads(API.kubectl("-n", "shop", "get", "configmap/settings", "-o", "json").stdout)
        self.assertEqual(cm["data"], {"color": "red"})

    def test_3_bad_inputs(self):
        r = plugin("recover", SNAP, "deploy/nope", "-n", "shop")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b'deployments.apps "nope" not found in the snapshot', r.stderr)
        r = plugin("recover", SNAP, "deployments", "-n", "shop")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"--all-deleted", r.stderr)
        down = API.write_kubeconfig("down.conf", user={"token": "x"}, server="https://127.0.0.1:1")
        r = run([PLUGIN, "diff", SNAP, "cm", "-n", "shop"], env={"KUBECONFIG": down, "HOME": API.dir})
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"refused", r.stderr)
        r = run([PLUGIN, "get", SNAP, "cm", "-n", "shop"], env={"KUBECONFIG": down, "HOME": API.dir})
        self.assertEqual(r.rc, 0, r)  # offline: no API needed
        nobody = API.write_kubeconfig("nobody.conf", user={
            "client-certificate-data": b64(API.pki.path("nobody.crt")), "client-key-data": b64(API.pki.path("nobody.key"))})
        r = run([PLUGIN, "recover", SNAP, "secret/db-pass", "-n", "shop"], env={"KUBECONFIG": nobody, "HOME": API.dir})
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"forbidden", r.stderr)


class EncryptedAtRest(unittest.TestCase):
    """A Secret encrypted at rest by the API server (aescbc here, secretbox below): recovered
    with --encryption-config only."""
    provider = "aescbc"

    @classmethod
    def setUpClass(cls):
        import base64
        cls.api = KubeApiServer(extra_args=["--encryption-provider-config={dir}/encryption.yaml"])
        cls.config = os.path.join(cls.api.dir, "encryption.yaml")
        key = base64.b64encode(bytes(range(32))).decode()
        with open(cls.config, "w") as f:
            f.write("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
                    "  - resources: [secrets]\n    providers:\n    - %s:\n        keys:\n"
                    "        - name: key1\n          secret: %s\n    - identity: {}\n" % (cls.provider, key))
        cls.api.__enter__()
        cls.api.kubectl("create", "secret", "generic", "vault", "--from-literal=token=s3cr3t")
        cls.live = json.loads(cls.api.kubectl("get", "secret/vault", "-o", "json").stdout)
        cls.snap = os.path.join(cls.api.dir, "enc.db")
        r = run(["/usr/bin/etcdctl", *cls.api.etcd.client_flags(), "snapshot", "save", cls.snap], env={"ETCDCTL_API": "3"})
        assert r.rc == 0, r
        cls.api.kubectl("delete", "secret", "vault")

    @classmethod
    def tearDownClass(cls):
        cls.api.close()

    def run_plugin(self, *args):
        return run([PLUGIN, *args], env={"KUBECONFIG": self.api.kubeconfig, "HOME": self.api.dir}, timeout=120)

    def test_inspect_counts_encrypted_values(self):
        r = self.run_plugin("inspect", self.snap, "-o", "json")
        self.assertEqual(r.rc, 0, r)
        self.assertGreaterEqual(json.loads(r.stdout)["encryptedAtRest"].get(self.provider, 0), 1)

    def test_recover_needs_the_key(self):
        r = self.run_plugin("recover", self.snap, "secret/vault")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"encrypted at rest (%s, key \"key1\")" % self.provider.encode(), r.stderr)
        self.assertIn(b"--encryption-config", r.stderr)
        r = self.run_plugin("recover", self.snap, "secret/vault", "--encryption-config", self.config)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stdout, b"secret/vault created\n")
        got = json.loads(self.api.kubectl("get", "secret/vault", "-o", "json").stdout)
        self.assertEqual(got["data"], self.live["data"])


class EncryptedWithSecretbox(EncryptedAtRest):
    """The same with the secretbox provider (XSalsa20-Poly1305; libsodium decrypts it)."""
    provider = "secretbox"


def b64(path):
    import base64
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


if __name__ == "__main__":
    unittest.main()
