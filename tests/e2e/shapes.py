"""A corpus of snapshot shapes made by REAL etcd, and the differential check run on each.

Python 3 stdlib only. A shape is a list of steps (puts of given value sizes and key counts,
rewrites, deletes, compaction, defrag, leases, auth, filling the quota) played against a real
etcd (3.4.23 from /usr/bin, or 3.5 from ETCD35_DIR, one or three members), after which the real
etcdctl of that version runs `snapshot save`. Typical use:

    from shapes import SMALL, LARGE, build, check
    meta = build(SMALL["v4000-4200"], "3.4")        # cached: <cache>/<name>-<version>-<digest>.db
    res = check(meta, ext="/path/to/etcdctl-ext")   # dict; res["ok"] and res["problems"]

build() caches each snapshot in cache_dir (default $ETCDRESTORE_SHAPES_CACHE or
~/.cache/etcdrestore/shapes) under a name made of the shape's name, the etcd version and a
digest of the shape's definition (steps, members, etcd flags, GENERATOR_VERSION), so a rerun
only checks, and changing a shape rebuilds it. Next to each .db a .json holds what the source
served (revision, key count) and how long the build took.

check() is the differential check of issue 10:
  (a) `etcdctl-ext snapshot status SNAP -w json` prints exactly what the real etcdctl 3.4.23
      prints (stdout bytes and exit code);
  (b) the snapshot restored by `etcdctl-ext snapshot restore` and by the real
      `etcdutl 3.5.30 snapshot restore` (default flags, each into its own data dir) both exit 0,
      both start under etcd 3.5.30, and `etcdctl endpoint hashkv` gives the same hash,
      compact revision and revision on both; the revision is the one the source served.

Data goes in through etcd's grpc-gateway (POST /v3/kv/put, /v3/kv/txn) on loopback from
threads that each keep one HTTP/1.1 connection alive (measured on this 2-core machine,
4 KiB values: 2,000 puts/s with 16 threads of single puts, 2,600-5,000 puts/s with 4 threads
of 100-put txns on 3.4/3.5; 1 MiB values ~27 MB/s on 3.5 with --unsafe-no-fsync, about what
parallel `etcdctl put` processes reach). Builds of etcd 3.5 run with --unsafe-no-fsync (the db
format does not depend on it). Small shapes build in a tmpfs work dir when there is one.
"""

import base64
import hashlib
import http.client
import json
import os
import random
import shutil
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, REAL_ETCDCTL, find_etcd, free_port, run  # noqa: E402

GENERATOR_VERSION = 1          # bump when a step's meaning changes: every cached shape rebuilds
CHECK_VERSION = "3.5.30"       # etcdutl, etcd and etcdctl used by the restore half of check()
ROOT_PASSWORD = "shapes-root-pw"
KINDS = ("pods", "configmaps", "secrets", "events", "deployments", "leases", "apiextensions.k8s.io/widgets")
DEFAULT_CACHE = os.environ.get("ETCDRESTORE_SHAPES_CACHE", os.path.expanduser("~/.cache/etcdrestore/shapes"))


def default_work_dir(big=False):
    """Where etcd data dirs of a build or a check go: tmpfs (/dev/shm) for small ones, else /tmp."""
    if not big and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return tempfile.gettempdir()


# ---------------------------------------------------------------------------------------------
# Shapes

class Shape:
    """name; steps: list of (step name, params dict) run in order by Loader; versions: the etcd
    versions it is built with; members: 1 or 3; etcd_args: extra flags of the source etcd;
    big: builds and checks on disk instead of tmpfs, longer timeouts."""

    def __init__(self, name, steps, versions=("3.4", "3.5.30"), members=1, etcd_args=(), big=False, note=""):
        self.name, self.steps, self.versions, self.members = name, steps, tuple(versions), members
        self.etcd_args, self.big, self.note = tuple(etcd_args), big, note

    @property
    def auth(self):
        return any(s[0] == "auth" for s in self.steps)

    def digest(self):
        d = {"gen": GENERATOR_VERSION, "steps": self.steps, "members": self.members, "etcd_args": self.etcd_args}
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:10]

    def __repr__(self):
        return "Shape(%s)" % self.name


def put(n, size, start=0, batch=1, threads=8, salt=0):
    """n keys start..start+n-1 (key()), values of `size` bytes (an int, or [lo, hi] drawn per key)."""
    return ("put", dict(n=n, size=size, start=start, batch=batch, threads=threads, salt=salt))


def rewrite(n, every, size, rounds=1, start=0, batch=1, threads=8):
    """Every `every`-th key of start..start+n-1 written again with new values of `size` bytes,
    `rounds` times over."""
    return ("rewrite", dict(n=n, every=every, rounds=rounds, size=size, start=start, batch=batch, threads=threads))


def crash_shape(name, n, versions, big=True):
    """Issue 10's crash shape: n puts of /registry/<kind>/ns-<i%97>/obj-<i> with 4,096-byte values,
    then a fifth of them rewritten (each put its own revision, as the issue's 90,000 puts)."""
    return Shape(name, [put(n, 4096, threads=16), rewrite(n, 5, size=4096, threads=16)], versions=versions,
                 etcd_args=("--quota-backend-bytes", str(8 << 30)), big=big,
                 note="%d x 4096 B, a fifth rewritten" % n)


_SMALL = [
    Shape("empty", [], note="no key at all"),
    Shape("one-key", [put(1, 10)]),
    Shape("v100", [put(3000, 100, batch=100, threads=4)], note="3,000 x 100 B"),
    Shape("v2k", [put(600, 2048, batch=50, threads=4)], note="600 x 2 KiB"),
    # Runs of each size around bbolt's 4 KiB page, written in order so each size fills its own
    # stretch of leaf and overflow pages (the key bucket is ordered by revision).
    Shape("v4000-4200", [put(80, s, start=1000 * k, batch=20, threads=2) for k, s in
                         enumerate((4000, 4040, 4050, 4064, 4080, 4090, 4096, 4100, 4200))],
          versions=("3.4", "3.5.16", "3.5.30"), note="80 each of 4000..4200 B"),
] + [
    Shape("v%d" % s, [put(250, s, batch=25, threads=4)], note="250 x %d B" % s)
    for s in (4000, 4050, 4080, 4096, 4100, 4200)
] + [
    Shape("v4k-crash-mini", [put(3000, 4096, threads=16), rewrite(3000, 5, size=4096, threads=16)],
          note="the crash shape at 3,000 keys"),
    Shape("v8k", [put(300, 8192, batch=20, threads=4)], note="300 x 8 KiB"),
    Shape("v64k", [put(60, 65536, batch=5, threads=4)], note="60 x 64 KiB"),
    Shape("v1m", [put(6, 1 << 20, threads=2)], etcd_args=("--max-request-bytes", str(3 << 20)),
          note="6 x 1 MiB"),
    Shape("vrand-1-12k", [put(600, [1024, 12288], batch=20, threads=4)], note="600 x random 1-12 KiB"),
    Shape("keys-10k", [put(10000, [20, 200], batch=100, threads=4)], note="10,000 keys"),
    Shape("history", [put(50, 300, batch=50, threads=1)] + [rewrite(50, 1, size=300 + r, threads=8) for r in range(99)],
          note="50 keys x 100 versions"),
    Shape("deletes", [put(2000, 500, batch=100, threads=4), ("delete", dict(n=2000, every=3, start=0)),
                      ("delete_prefix", dict(prefix="/registry/events/")),
                      put(100, 700, start=0, batch=1, threads=8, salt=7)],
          note="a third deleted one by one, a prefix deleted, 100 recreated"),
    Shape("compact", [put(1000, 400, batch=100, threads=4), rewrite(1000, 1, 450, rounds=4, batch=100, threads=4),
                      ("compact", dict(fraction=0.6)), put(100, 300, start=5000, threads=8)],
          note="4 rewrites, compacted at 60% of the revisions, then writes"),
    Shape("defrag", [put(2000, 1000, batch=100, threads=4), ("delete", dict(n=2000, every=2, start=0)),
                     rewrite(2000, 3, size=1200, start=1, threads=8), ("compact", dict(fraction=1.0)), ("defrag", {})],
          note="half deleted, compacted at head, defragmented"),
    Shape("leases", [("leases", dict(count=12, keys=20, ttl=3600, revoke=3)), put(200, 300, batch=50, threads=4)],
          note="12 leases x 20 keys, 3 revoked"),
    Shape("auth", [put(500, 600, batch=50, threads=4), ("auth", {})], versions=("3.4", "3.5.16", "3.5.30"),
          note="users, roles, auth enabled"),
    Shape("cluster3", [put(1500, 500, batch=50, threads=6), rewrite(1500, 4, size=600, threads=6),
                       ("delete", dict(n=1500, every=11, start=3))], members=3,
          note="a 3-member source cluster"),
    Shape("nospace", [("fill_quota", dict(size=8192))], etcd_args=("--quota-backend-bytes", str(4 << 20)),
          note="written until the NOSPACE alarm (4 MiB quota)"),
]

_LARGE = [
    crash_shape("crash-90k", 90000, versions=("3.4", "3.5.30")),
    crash_shape("crash-120k", 120000, versions=("3.4",)),
    Shape("keys-250k", [put(250000, [200, 1800], batch=100, threads=4), rewrite(250000, 10, size=500, batch=100, threads=4)],
          versions=("3.5.30",), etcd_args=("--quota-backend-bytes", str(8 << 30)), big=True,
          note="250,000 keys of 200-1800 B, a tenth rewritten"),
    Shape("mixed-1-12k", [put(100000, [1024, 12288], batch=50, threads=4),
                          rewrite(100000, 5, [1024, 12288], batch=50, threads=4),
                          ("delete", dict(n=100000, every=13, start=6)), ("compact", dict(fraction=0.5))],
          versions=("3.4",), etcd_args=("--quota-backend-bytes", str(8 << 30)), big=True,
          note="100,000 keys of random 1-12 KiB, a fifth rewritten, 1/13 deleted, compacted at half"),
    Shape("defrag-200k", [put(200000, [500, 3000], batch=100, threads=4), ("delete", dict(n=200000, every=2, start=0)),
                          ("compact", dict(fraction=1.0)), ("defrag", {})],
          versions=("3.5.30",), etcd_args=("--quota-backend-bytes", str(8 << 30)), big=True,
          note="200,000 keys of 500-3000 B, half deleted, compacted at head, defragmented"),
    Shape("big-4g", [put(4500, 1 << 20, threads=4)], versions=("3.5.30",),
          etcd_args=("--quota-backend-bytes", str(8 << 30), "--max-request-bytes", str(3 << 20)), big=True,
          note="4,500 x 1 MiB: a snapshot over 4 GiB"),
]

SMALL = {s.name: s for s in _SMALL}
LARGE = {s.name: s for s in _LARGE}


# ---------------------------------------------------------------------------------------------
# Data

_POOL = random.Random(20261130).randbytes((4 << 20) + 4096)


def key(i):
    """Issue 10's key pattern: /registry/<kind>/ns-<i%97>/obj-<i>."""
    return ("/registry/%s/ns-%d/obj-%d" % (KINDS[i % len(KINDS)], i % 97, i)).encode()


def value_size(size, i, salt=0):
    if isinstance(size, int):
        return size
    return random.Random(i * 1000003 + salt).randint(size[0], size[1])


def value(i, size, salt=0):
    """size bytes that look like protobuf (incompressible), different per key and salt."""
    head = b"k8s\x00" + struct.pack("<QI", i, salt)
    off = (i * 2654435761 + salt * 40503) % (len(_POOL) - size - 1) if size < len(_POOL) else 0
    return (head + _POOL[off:off + size])[:size]


def b64(b):
    return base64.b64encode(b if isinstance(b, bytes) else b.encode()).decode()


class GatewayError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body[:300]))
        self.status, self.body = status, body


class Loader:
    """Writes to the running source members through the grpc-gateway: one keep-alive HTTP
    connection per thread, threads spread over the members."""

    def __init__(self, members):
        self.ports = [m.client_port for m in members]
        self.revision = 0
        self._lock = threading.Lock()

    def _note(self, answer):
        rev = int(answer.get("header", {}).get("revision", 0))
        with self._lock:
            self.revision = max(self.revision, rev)

    def _post(self, conn, path, body):
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise GatewayError(r.status, data.decode(errors="replace"))
        answer = json.loads(data)
        self._note(answer)
        return answer

    def call(self, path, body, member=0):
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[member], timeout=600)
        try:
            return self._post(conn, path, body)
        finally:
            conn.close()

    def parallel(self, jobs, threads):
        """Runs every (path, body) of the iterator jobs on `threads` threads; first error re-raised."""
        jobs = iter(jobs)
        lock = threading.Lock()
        errors = []

        def worker(t):
            conn = http.client.HTTPConnection("127.0.0.1", self.ports[t % len(self.ports)], timeout=600)
            try:
                while not errors:
                    with lock:
                        job = next(jobs, None)
                    if job is None:
                        return
                    self._post(conn, *job)
            except Exception as e:  # noqa: BLE001 - handed to the caller
                errors.append(e)
            finally:
                conn.close()

        ts = [threading.Thread(target=worker, args=(t,)) for t in range(max(1, threads))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            raise errors[0]

    def puts(self, items, batch, threads, lease=None):
        """items: iterator of (key, value) bytes; single puts (batch 1) or txns of `batch` puts."""
        def jobs():
            chunk = []
            for k, v in items:
                op = {"key": b64(k), "value": b64(v)}
                if lease:
                    op["lease"] = lease
                if batch <= 1:
                    yield "/v3/kv/put", op
                    continue
                chunk.append({"requestPut": op})
                if len(chunk) == batch:
                    yield "/v3/kv/txn", {"success": chunk}
                    chunk = []
            if chunk:
                yield "/v3/kv/txn", {"success": chunk}
        self.parallel(jobs(), threads)

    # Steps -------------------------------------------------------------------------------

    def step_put(self, n, size, start, batch, threads, salt):
        self.puts(((key(i), value(i, value_size(size, i, salt), salt)) for i in range(start, start + n)),
                  batch, threads)

    def step_rewrite(self, n, every, rounds, size, start, batch, threads):
        for r in range(rounds):
            salt = 1000 + r
            self.puts(((key(i), value(i, value_size(size, i, salt), salt)) for i in range(start, start + n, every)),
                      batch, threads)

    def step_delete(self, n, every, start):
        self.parallel((("/v3/kv/deleterange", {"key": b64(key(i))}) for i in range(start, n, every)), 8)

    def step_delete_prefix(self, prefix):
        p = prefix.encode()
        self.call("/v3/kv/deleterange", {"key": b64(p), "range_end": b64(p[:-1] + bytes([p[-1] + 1]))})

    def step_compact(self, fraction):
        head = self.call("/v3/kv/range", {"key": b64("/"), "limit": 1})
        rev = max(1, int(int(head["header"]["revision"]) * fraction))
        self.call("/v3/kv/compaction", {"revision": rev, "physical": True})

    def step_defrag(self):
        for m in range(len(self.ports)):
            self.call("/v3/maintenance/defragment", {}, member=m)

    def step_leases(self, count, keys, ttl, revoke):
        ids = [self.call("/v3/lease/grant", {"TTL": ttl})["ID"] for _ in range(count)]
        self.call("/v3/lease/grant", {"TTL": ttl})  # a lease with no key
        for n, lid in enumerate(ids):
            self.puts((("/registry/leases/lease-%d/k-%d" % (n, j), value(n * 100 + j, 120)) for j in range(keys)),
                      batch=1 if n % 2 else keys, threads=4, lease=lid)
        for lid in ids[:revoke]:
            self.call("/v3/lease/revoke", {"ID": lid})

    def step_auth(self):
        c = self.call
        c("/v3/auth/user/add", {"name": "root", "password": ROOT_PASSWORD})
        c("/v3/auth/role/add", {"name": "root"})
        c("/v3/auth/user/grant", {"user": "root", "role": "root"})
        for role, perm, k, end in (("reader", "READ", "/registry/", "/registry0"),
                                   ("writer", "READWRITE", "/registry/pods/", "/registry/pods0"),
                                   ("one-key", "WRITE", "/registry/leases/x", None)):
            c("/v3/auth/role/add", {"name": role})
            p = {"permType": perm, "key": b64(k)}
            if end:
                p["range_end"] = b64(end)
            c("/v3/auth/role/grant", {"name": role, "perm": p})
        for user, roles in (("alice", ["reader"]), ("bob", ["reader", "writer"]), ("carol", [])):
            c("/v3/auth/user/add", {"name": user, "password": user + "-pw"})
            for role in roles:
                c("/v3/auth/user/grant", {"user": user, "role": role})
        c("/v3/auth/enable", {})

    def step_fill_quota(self, size):
        i = 0
        while True:
            try:
                self.call("/v3/kv/put", {"key": b64(key(i)), "value": b64(value(i, size))})
            except GatewayError as e:
                if "space exceeded" in e.body:
                    return
                raise
            i += 1
            if i > 100000:
                raise RuntimeError("quota never reached")

    def run_step(self, name, params):
        getattr(self, "step_" + name)(**params)


# ---------------------------------------------------------------------------------------------
# Build

def tool(version, name):
    """etcdctl/etcdutl of a version (3.4: /usr/bin; REAL_ETCDCTL for 3.4's etcdctl)."""
    if version in ("3.4", "3.4.23") and name == "etcdctl":
        return REAL_ETCDCTL
    path = find_etcd(version, name)
    if path is None:
        raise FileNotFoundError("%s %s not installed" % (name, version))
    return path


def cache_paths(shape, version, cache_dir=None):
    base = os.path.join(cache_dir or DEFAULT_CACHE, "%s-%s-%s" % (shape.name, version, shape.digest()))
    return base + ".db", base + ".json"


def cached(shape, version, cache_dir=None):
    """The meta dict of a cached build, or None."""
    db, js = cache_paths(shape, version, cache_dir)
    if os.path.exists(db) and os.path.exists(js):
        with open(js) as f:
            meta = json.load(f)
        meta["snapshot"] = db
        return meta
    return None


def build(shape, version, cache_dir=None, work_dir=None, log=None):
    """Builds (or finds in the cache) the snapshot of `shape` made by etcd `version`; returns a
    meta dict: snapshot (path), shape, version, revision (the source's, at save), size,
    build_seconds, auth (True if snapshot tools need --user), cached (bool)."""
    meta = cached(shape, version, cache_dir)
    if meta:
        meta["cached"] = True
        return meta
    db, js = cache_paths(shape, version, cache_dir)
    os.makedirs(os.path.dirname(db), exist_ok=True)
    work = tempfile.mkdtemp(prefix="shape-%s-%s-" % (shape.name, version), dir=work_dir or default_work_dir(shape.big))
    t0 = time.monotonic()
    try:
        with Cluster(work) as c:
            args = list(shape.etcd_args)
            if version not in ("3.4", "3.4.23"):
                args.append("--unsafe-no-fsync")
            if shape.members == 1:
                members = [c.start_etcd(version, name="src", initial_cluster_token="shape", extra_args=args)]
            else:
                names = ["m%d" % i for i in range(shape.members)]
                ports = [(free_port(), free_port()) for _ in names]
                ic = ",".join("%s=http://127.0.0.1:%d" % (n, p[1]) for n, p in zip(names, ports))
                members = [c.start_etcd(version, name=n, client_port=p[0], peer_port=p[1], initial_cluster=ic,
                                        initial_cluster_token="shape", extra_args=args, wait=False)
                           for n, p in zip(names, ports)]
                for m in members:
                    m.wait_ready(60)
            ld = Loader(members)
            revision = None
            for name, params in shape.steps:
                if name == "auth":  # the last step: afterwards etcd 3.5 wants a token even for status
                    revision = int(ld.call("/v3/maintenance/status", {})["header"]["revision"])
                ts = time.monotonic()
                ld.run_step(name, params)
                if log:
                    log("  %s %s: %s %.1fs" % (shape.name, version, name, time.monotonic() - ts))
            if revision is None:
                revision = int(ld.call("/v3/maintenance/status", {})["header"]["revision"])
            t_load = time.monotonic() - t0
            tmp = "%s.%d.tmp" % (db, os.getpid())
            cmd = [tool(version, "etcdctl"), "--endpoints=" + members[0].endpoint, "--command-timeout=3600s"]
            if shape.auth:
                cmd.append("--user=root:" + ROOT_PASSWORD)
            r = run(cmd + ["snapshot", "save", tmp], timeout=3600)
            if r.rc != 0:
                raise RuntimeError("snapshot save of %s on %s failed: %r" % (shape.name, version, r))
            os.chmod(tmp, 0o644)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = dict(shape=shape.name, version=version, digest=shape.digest(), revision=revision,
                size=os.path.getsize(tmp), build_seconds=round(time.monotonic() - t0, 2),
                load_seconds=round(t_load, 2), auth=shape.auth, note=shape.note)
    with open(js + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, db)
    os.replace(js + ".tmp", js)
    meta.update(snapshot=db, cached=False)
    return meta


# ---------------------------------------------------------------------------------------------
# Differential check

def _short(b, n=600):
    s = b.decode(errors="replace") if isinstance(b, bytes) else str(b)
    return s if len(s) <= n else s[:n] + "...(%d bytes)" % len(s)


def _describe(args, r):
    return "$ %s\n  exit %s (%.2fs)\n  stdout: %s\n  stderr: %s" % (
        " ".join(args), r.rc, r.seconds, _short(r.stdout), _short(r.stderr))


def hashkv(endpoint, auth, timeout=900):
    """(hash, compact_revision, revision, raw) from the real etcdctl 3.5's `endpoint hashkv -w json`."""
    cmd = [tool(CHECK_VERSION, "etcdctl"), "--endpoints=" + endpoint, "--command-timeout=%ds" % timeout]
    if auth:
        cmd.append("--user=root:" + ROOT_PASSWORD)
    r = run(cmd + ["endpoint", "hashkv", "-w", "json"], timeout=timeout + 30)
    if r.rc != 0:
        return None, r
    h = json.loads(r.stdout)[0]["HashKV"]
    return (int(h.get("hash", 0)), int(h.get("compact_revision", 0)), int(h["header"]["revision"])), r


def wait_serving(e, timeout):
    """Waits until etcd answers GET /version (harness's wait_ready wants /health true, which an
    active NOSPACE alarm makes false). Returns None, or what went wrong."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if e.proc.poll() is not None:
            with open(e.log_path, errors="replace") as f:
                return "exited with %s; log %s:\n%s" % (e.proc.returncode, e.log_path, f.read()[-3000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", e.client_port, timeout=2)
            conn.request("GET", "/version")
            if conn.getresponse().status == 200:
                return None
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.05)
    return "not serving after %ss; log %s" % (timeout, e.log_path)


def _runs(cmds, timeout, parallel):
    """run() of each command, one after the other or all at once; the Results in order."""
    if not parallel:
        return [run(c, timeout=timeout) for c in cmds]
    out = [None] * len(cmds)

    def one(i):
        out[i] = run(cmds[i], timeout=timeout)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(len(cmds))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def check(meta, ext, work_dir=None, utl_status=False, big=False, parallel=False, status_runs=1, log=None):
    """Runs the differential check on a build() result. Returns a dict: ok, problems (list of
    str with commands and outputs), status_equal, hashkv_equal, restore_ok, and timings
    (status_ext, status_ref34, status_utl35 if utl_status, restore_ext, restore_utl35).
    parallel: run the two status and the two restore commands at the same time (quicker; the
    timings then mean little). status_runs: run etcdctl-ext's status that many times (the crash
    of issue 10 came on 2 runs of 5 on some files); every run must print the same."""
    snap, auth = meta["snapshot"], meta.get("auth", False)
    etcdutl = tool(CHECK_VERSION, "etcdutl")
    timeout = 3600 if big else 300
    res = dict(shape=meta["shape"], version=meta["version"], size=meta["size"], problems=[],
               status_equal=False, hashkv_equal=False, restore_ok=False)
    probs = res["problems"]

    # (a) status: byte-for-byte what etcdctl 3.4.23 prints.
    a_ref = [REAL_ETCDCTL, "snapshot", "status", "-w", "json", snap]
    a_ext = [ext, "snapshot", "status", "-w", "json", snap]
    r_ref, r_ext = _runs([a_ref, a_ext], timeout, parallel)
    res.update(status_ref34=r_ref.seconds, status_ext=r_ext.seconds, status_json=_short(r_ref.stdout, 300))
    if r_ref.rc != 0:
        probs.append("reference status failed:\n" + _describe(a_ref, r_ref))
    elif (r_ext.rc, r_ext.stdout) != (r_ref.rc, r_ref.stdout):
        probs.append("status differs from etcdctl 3.4.23:\n%s\n%s" % (_describe(a_ref, r_ref), _describe(a_ext, r_ext)))
    else:
        res["status_equal"] = True
        for i in range(1, status_runs):
            r = run(a_ext, timeout=timeout)
            if (r.rc, r.stdout) != (r_ref.rc, r_ref.stdout):
                res["status_equal"] = False
                probs.append("status run %d of %d differs from etcdctl 3.4.23 (run 1 was equal):\n%s"
                             % (i + 1, status_runs, _describe(a_ext, r)))
                break
        st = json.loads(r_ref.stdout)
        # status reports the newest revision in the key bucket: 0 when it is empty (etcd serves 1).
        if st["revision"] != meta["revision"] and not (st["revision"] == 0 and meta["revision"] == 1):
            probs.append("snapshot revision %s, but the source served %s" % (st["revision"], meta["revision"]))
    if utl_status:
        a_utl = [etcdutl, "snapshot", "status", "-w", "json", snap]
        r_utl = run(a_utl, timeout=timeout)
        res["status_utl35"] = r_utl.seconds
        if r_utl.rc != 0:
            probs.append("etcdutl status failed:\n" + _describe(a_utl, r_utl))

    # (b) restore by both tools, each started under etcd 3.5.30, hashkv equal.
    base = tempfile.mkdtemp(prefix="check-%s-%s-" % (meta["shape"], meta["version"]),
                            dir=work_dir or default_work_dir(big))
    try:
        dirs = {"ext": os.path.join(base, "ext.etcd"), "utl": os.path.join(base, "utl.etcd")}
        cmds = {"ext": [ext, "snapshot", "restore", snap, "--data-dir", dirs["ext"]],
                "utl": [etcdutl, "snapshot", "restore", snap, "--data-dir", dirs["utl"]]}
        ok = {}
        for t, r in zip(("ext", "utl"), _runs([cmds["ext"], cmds["utl"]], timeout, parallel)):
            res["restore_" + t] = r.seconds
            ok[t] = r.rc == 0
            if r.rc != 0:
                probs.append("%s restore failed (refused a valid snapshot?):\n%s" % (t, _describe(cmds[t], r)))
            if log:
                log("  %s %s: restore %s %.2fs rc=%s" % (meta["shape"], meta["version"], t, r.seconds, r.rc))
        res["restore_ok"] = ok["ext"]
        leftovers = [n for n in os.listdir(base) if n not in ("ext.etcd", "utl.etcd")]
        if leftovers:
            probs.append("restore left %s in %s" % (leftovers, base))
        hashes = {}
        with Cluster(base) as c:
            started = {t: c.start_etcd(CHECK_VERSION, name="default", data_dir=dirs[t], wait=False)
                       for t in ("ext", "utl") if ok[t]}
            for t, e in started.items():
                err = wait_serving(e, timeout if big else 60)
                if err:
                    probs.append("etcd %s did not start on the %s restore: %s" % (CHECK_VERSION, t, err))
                    continue
                t0 = time.monotonic()
                h, r = hashkv(e.endpoint, auth)
                res["hashkv_%s_seconds" % t] = time.monotonic() - t0
                if h is None:
                    probs.append("hashkv on the %s restore failed: %r" % (t, r))
                else:
                    hashes[t] = h
        res["hashkv"] = {t: list(h) for t, h in hashes.items()}
        if len(hashes) == 2:
            if hashes["ext"] != hashes["utl"]:
                probs.append("hashkv (hash, compact_revision, revision) differs: etcdctl-ext %s, etcdutl %s"
                             % (hashes["ext"], hashes["utl"]))
            else:
                res["hashkv_equal"] = True
                if hashes["ext"][2] != meta["revision"]:
                    probs.append("restored revision %s, the source served %s" % (hashes["ext"][2], meta["revision"]))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    res["ok"] = not probs
    return res
