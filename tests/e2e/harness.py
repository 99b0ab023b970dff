"""Reusable e2e harness: real etcd servers on loopback, TLS material, and tool runners.

Python 3 stdlib only. Typical use from a unittest.TestCase:

    from harness import Cluster, make_certs, run, find_etcd, etcd_versions

    certs = make_certs(tmpdir)                         # CA, server (SAN 127.0.0.1/localhost), client, other CA
    with Cluster() as c:                               # stops every etcd it started, even on errors
        e = c.start_etcd("3.4", name="a", tls=certs)   # data dir under the cluster's temp dir
        e.put_many(1000, prefix="/registry/pods/", value_size=100)
        r = run([ETCDCTL, *e.client_flags(), "get", "--prefix", "/"])
        e.stop()                                       # SIGTERM, wait; data dir stays for restore tests

Versions: "3.4" is /usr/bin/etcd (Debian 3.4.23); "3.5.16" and "3.5.30" come from
$ETCD35_DIR/{trixie,sid}/usr/bin (default ~/.cache/etcdrestore/etcd-3.5). etcd_versions()
lists the ones present; find_etcd(v) returns None when a version is missing, so tests can
skip with a printed reason. Binaries under test are passed by env: ETCDCTL_EXT (our
etcdctl-ext), REAL_ETCDCTL (default /usr/bin/etcdctl).
"""

import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

ETCD35_DIR = os.environ.get("ETCD35_DIR", os.path.expanduser("~/.cache/etcdrestore/etcd-3.5"))
REAL_ETCDCTL = os.environ.get("REAL_ETCDCTL", "/usr/bin/etcdctl")
ETCDCTL_EXT = os.environ.get("ETCDCTL_EXT", "")

_VERSION_DIRS = {"3.5.16": "trixie", "3.5.30": "sid"}


def find_etcd(version, tool="etcd"):
    """Path of `tool` (etcd, etcdctl, etcdutl) for a version, or None if not installed."""
    if version in ("3.4", "3.4.23"):
        path = os.path.join("/usr/bin", tool)
    elif version in _VERSION_DIRS:
        path = os.path.join(ETCD35_DIR, _VERSION_DIRS[version], "usr", "bin", tool)
    else:
        raise ValueError("unknown etcd version %r" % version)
    return path if os.access(path, os.X_OK) else None


def etcd_versions():
    """The etcd server versions present on this machine, 3.4 first."""
    return [v for v in ("3.4", "3.5.16", "3.5.30") if find_etcd(v)]


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Result:
    def __init__(self, rc, stdout, stderr, seconds):
        self.rc, self.stdout, self.stderr, self.seconds = rc, stdout, stderr, seconds

    def __repr__(self):
        return "Result(rc=%r, stdout=%r, stderr=%r, %.2fs)" % (self.rc, self.stdout, self.stderr, self.seconds)


def run(args, env=None, input=None, timeout=60, cwd=None):
    """Runs a command; returns Result with bytes stdout/stderr. env entries are added to a
    copy of os.environ with every ETCDCTL_* variable removed (a value of None deletes)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
    for k, v in (env or {}).items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = v
    start = time.monotonic()
    p = subprocess.run(args, env=full, input=input, capture_output=True, timeout=timeout, cwd=cwd)
    return Result(p.returncode, p.stdout, p.stderr, time.monotonic() - start)


class Certs:
    """Paths of TLS material made by make_certs()."""

    def __init__(self, d):
        self.dir = d
        self.ca = os.path.join(d, "ca.crt")
        self.server_cert = os.path.join(d, "server.crt")
        self.server_key = os.path.join(d, "server.key")
        self.client_cert = os.path.join(d, "client.crt")
        self.client_key = os.path.join(d, "client.key")
        self.other_ca = os.path.join(d, "other-ca.crt")  # a CA that signed nothing here


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certs(d):
    """Creates a CA, a server cert (SAN IP:127.0.0.1, DNS:localhost), a client cert and an
    unrelated CA in directory d with the openssl CLI. Returns Certs."""
    os.makedirs(d, exist_ok=True)
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt",
                 "-days", "2", "-subj", "/CN=etcdrestore-test-" + ca, cwd=d)
    ext = os.path.join(d, "san.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n")
    for name, cn in (("server", "localhost"), ("client", "root")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                 "-subj", "/CN=" + cn, cwd=d)
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", name + ".crt", "-days", "2", "-extfile", ext, cwd=d)
    return Certs(d)


class Etcd:
    """One running etcd member. Use Cluster.start_etcd to create."""

    def __init__(self, binary, version, name, data_dir, client_port, peer_port, tls, log_path):
        self.binary, self.version, self.name, self.data_dir = binary, version, name, data_dir
        self.client_port, self.peer_port, self.tls, self.log_path = client_port, peer_port, tls, log_path
        scheme = "https" if tls else "http"
        self.client_url = "%s://127.0.0.1:%d" % (scheme, client_port)
        self.peer_url = "http://127.0.0.1:%d" % peer_port
        self.endpoint = "127.0.0.1:%d" % client_port  # as etcdctl --endpoints takes it
        self.proc = None

    def client_flags(self, with_client_cert=True):
        """etcdctl flags to reach this member (endpoint, and TLS files if TLS)."""
        flags = ["--endpoints=" + self.endpoint]
        if self.tls:
            flags.append("--cacert=" + self.tls.ca)
            if with_client_cert:
                flags += ["--cert=" + self.tls.client_cert, "--key=" + self.tls.client_key]
        return flags

    def _ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.tls.ca)
        ctx.load_cert_chain(self.tls.client_cert, self.tls.client_key)
        return ctx

    def gateway(self, path, body):
        """POSTs JSON to etcd's grpc-gateway (/v3/...); returns the decoded answer."""
        req = urllib.request.Request(self.client_url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        ctx = self._ssl_context() if self.tls else None
        with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
            return json.loads(resp.read())

    def put(self, key, value):
        b64 = lambda s: base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()
        return self.gateway("/v3/kv/put", {"key": b64(key), "value": b64(value)})

    def put_many(self, n, prefix="/registry/test/", value_size=64):
        """Puts n keys prefix%08d with deterministic values of value_size bytes."""
        for i in range(n):
            self.put("%s%08d" % (prefix, i), ("v%d-" % i).ljust(value_size, "x"))

    def is_ready(self):
        try:
            ctx = self._ssl_context() if self.tls else None
            with urllib.request.urlopen(self.client_url + "/health", timeout=1, context=ctx) as r:
                return b"true" in r.read()
        except Exception:
            return False

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("etcd %s exited with %s; log %s:\n%s" % (
                    self.name, self.proc.returncode, self.log_path, open(self.log_path).read()[-3000:]))
            if self.is_ready():
                return
            time.sleep(0.05)
        raise RuntimeError("etcd %s not ready after %ss; log %s" % (self.name, timeout, self.log_path))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the process (SIGTERM, then SIGKILL); keeps the data dir."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Cluster:
    """Owns a temp dir and every etcd started through it; a context manager that stops them."""

    def __init__(self, base_dir=None):
        self.dir = base_dir or tempfile.mkdtemp(prefix="etcdrestore-e2e-")
        self._own_dir = base_dir is None
        self.members = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self, keep_dir=False):
        for m in self.members:
            m.stop()
        self.members = []
        if self._own_dir and not keep_dir and not os.environ.get("ETCDRESTORE_KEEP_E2E"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def start_etcd(self, version="3.4", name="default", data_dir=None, client_port=None, peer_port=None,
                   initial_cluster=None, initial_cluster_state="new", initial_cluster_token=None,
                   tls=None, extra_args=(), wait=True):
        """Starts etcd `version` on loopback. initial_cluster None means a single member
        (name=its own peer URL). Pass tls=Certs for https with client-cert auth. With an
        existing data_dir (e.g. a restored one) etcd boots from it (the initial-* flags are
        then ignored by etcd, as usual). wait=False returns before the member is ready
        (use for multi-member starts, then call wait_ready on each)."""
        binary = find_etcd(version)
        if binary is None:
            raise FileNotFoundError("etcd %s not installed (looked in /usr/bin and %s)" % (version, ETCD35_DIR))
        client_port = client_port or free_port()
        peer_port = peer_port or free_port()
        data_dir = data_dir or os.path.join(self.dir, name + ".etcd")
        log_path = os.path.join(self.dir, "%s-%d.log" % (name, client_port))
        e = Etcd(binary, version, name, data_dir, client_port, peer_port, tls, log_path)
        args = [binary, "--name", name, "--data-dir", data_dir,
                "--listen-client-urls", e.client_url, "--advertise-client-urls", e.client_url,
                "--listen-peer-urls", e.peer_url, "--initial-advertise-peer-urls", e.peer_url,
                "--initial-cluster", initial_cluster or "%s=%s" % (name, e.peer_url),
                "--initial-cluster-state", initial_cluster_state]
        if initial_cluster_token:
            args += ["--initial-cluster-token", initial_cluster_token]
        if tls:
            args += ["--client-cert-auth", "--trusted-ca-file", tls.ca, "--cert-file", tls.server_cert,
                     "--key-file", tls.server_key]
        args += list(extra_args)
        log = open(log_path, "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD")}
        e.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        self.members.append(e)
        if wait:
            e.wait_ready()
        return e


def mask(data, patterns):
    """Replaces each regex (bytes) in patterns with b'<masked>'."""
    import re
    for p in patterns:
        data = re.sub(p, b"<masked>", data)
    return data
