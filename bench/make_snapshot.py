#!/usr/bin/env python3
"""Makes a real, Kubernetes-shaped etcd snapshot of a given size for the benchmarks.

Starts a real etcd (3.4.23 by default) on free loopback ports in a temp dir, loads
/registry/... keys through etcd's gRPC gateway (POST /v3/kv/txn, 100 puts per txn),
rewrites a fifth of them and deletes a few, saves the snapshot with the real
etcdctl, and stops etcd. Python stdlib only.

  bench/make_snapshot.py OUT.db [--size-mb 1100] [--etcd /usr/bin/etcd] [--etcdctl /usr/bin/etcdctl]
  bench/make_snapshot.py OUT.db --keys 90000 --value-size 4096    # issue 10's shape (666 MB)

With --keys, the shape is fixed instead: N keys /registry/<kind>/ns-<i%97>/obj-<i> with values
of --value-size bytes, a fifth of them rewritten with values of the same size, none deleted.
"""
import argparse, base64, http.client, json, os, random, shutil, socket, subprocess, sys, tempfile, time

KINDS = [("pods", 6000), ("configmaps", 9000), ("secrets", 3000), ("events", 1500),
         ("deployments", 7000), ("replicasets", 5000), ("services/specs", 2000),
         ("leases", 600), ("endpointslices", 2500)]
# kind and apiVersion of each resource, for the values' envelopes
TYPES = {"pods": (b"Pod", b"v1"), "configmaps": (b"ConfigMap", b"v1"), "secrets": (b"Secret", b"v1"),
         "events": (b"Event", b"v1"), "deployments": (b"Deployment", b"apps/v1"),
         "replicasets": (b"ReplicaSet", b"apps/v1"), "services/specs": (b"Service", b"v1"),
         "leases": (b"Lease", b"coordination.k8s.io/v1"), "endpointslices": (b"EndpointSlice", b"discovery.k8s.io/v1")}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def b64(b):
    return base64.b64encode(b).decode()


def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _field(n, payload):
    return _varint(n << 3 | 2) + _varint(len(payload)) + payload


def k8s_value(kind, api_version, ns, name, uid, body):
    """What the API server stores for a built-in object: "k8s\\0" + runtime.Unknown{typeMeta,
    raw = {ObjectMeta{name, namespace, uid, creationTimestamp}, spec = body}}."""
    ts = _varint(1 << 3) + _varint(1700000000)
    meta = _field(1, name) + _field(3, ns) + _field(5, uid) + _field(8, ts)
    raw = _field(1, meta) + _field(2, body)
    unknown = _field(1, _field(1, api_version) + _field(2, kind)) + _field(2, raw) + _field(4, b"")
    return b"k8s\x00" + unknown


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size-mb", type=int, default=1100)
    ap.add_argument("--etcd", default="/usr/bin/etcd")
    ap.add_argument("--etcdctl", default="/usr/bin/etcdctl")
    ap.add_argument("--keys", type=int, default=0)
    ap.add_argument("--value-size", type=int, default=4096)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="etcdrestore-bench-")
    cport, pport = free_port(), free_port()
    curl = f"http://127.0.0.1:{cport}"
    log = open(os.path.join(work, "etcd.log"), "w")
    etcd = subprocess.Popen([a.etcd, "--name", "bench", "--data-dir", os.path.join(work, "data"),
                             "--listen-client-urls", curl, "--advertise-client-urls", curl,
                             "--listen-peer-urls", f"http://127.0.0.1:{pport}",
                             "--initial-advertise-peer-urls", f"http://127.0.0.1:{pport}",
                             "--initial-cluster", f"bench=http://127.0.0.1:{pport}",
                             "--quota-backend-bytes", str(16 << 30),
                             "--max-request-bytes", str(8 << 20)], stdout=log, stderr=log)
    try:
        conn = None
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", cport, timeout=60)
                conn.request("POST", "/v3/maintenance/status", "{}")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        rnd = random.Random(42)
        target = a.size_mb << 20
        written, keys, batch = 0, [], []

        def flush():
            nonlocal batch
            if not batch:
                return
            body = json.dumps({"success": batch})
            conn.request("POST", "/v3/kv/txn", body)
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                sys.exit(f"txn failed: {r.status} {data[:200]!r}")
            batch = []

        i = 0
        if a.keys:
            for step in (1, 5):  # every key, then a fifth of them again
                for i in range(0, a.keys, step):
                    kind = KINDS[i % len(KINDS)][0]
                    key = f"/registry/{kind}/ns-{i % 97}/obj-{i}".encode()
                    batch.append({"requestPut": {"key": b64(key), "value": b64(rnd.randbytes(a.value_size))}})
                    if len(batch) == 100:
                        flush()
                flush()
            target = 0  # and no rewrites or deletes below
        while written < target:
            kind, avg = KINDS[i % len(KINDS)]
            ns = f"ns-{(i // 7) % 50}"
            name = f"{kind.split('/')[0][:-1]}-{i:08d}"
            key = f"/registry/{kind}/{ns}/{name}".encode()
            size = max(200, int(rnd.expovariate(1 / avg)))
            # A real envelope and ObjectMeta around a random spec (protobuf bodies look random).
            val = k8s_value(*TYPES[kind], ns.encode(), name.encode(), f"uid-{i:08d}".encode(), os.urandom(size))
            batch.append({"requestPut": {"key": b64(key), "value": b64(val)}})
            keys.append(key)
            written += size
            i += 1
            if len(batch) == 100:
                flush()
        flush()
        # rewrite a fifth (new revisions of the same keys), delete a few
        for key in keys[::5]:
            parts = key.decode().split("/")  # /registry/<kind...>/<ns>/<name>
            kind, ns, name = "/".join(parts[2:-2]), parts[-2], parts[-1]
            val = k8s_value(*TYPES[kind], ns.encode(), name.encode(), b"uid-" + name.encode(), rnd.randbytes(300))
            batch.append({"requestPut": {"key": b64(key), "value": b64(val)}})
            if len(batch) == 100:
                flush()
        flush()
        for key in keys[3::97]:
            batch.append({"requestDeleteRange": {"key": b64(key)}})
            if len(batch) == 100:
                flush()
        flush()
        tmp = a.out + ".tmp"
        subprocess.run([a.etcdctl, f"--endpoints={curl}", "--command-timeout=600s", "snapshot", "save", tmp],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, ETCDCTL_API="3"))
        os.replace(tmp, a.out)
        print(f"{a.out}: {os.path.getsize(a.out)} bytes, {a.keys or len(keys)} keys")
    finally:
        etcd.terminate()
        etcd.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
