"""Registry-free container images for the real nodes (tests/e2e/realnode.py), as docker-archive
tars that `ctr -n k8s.io images import` loads; the kubelet finds them under the names kubeadm's
manifests use (imagePullPolicy IfNotPresent), so nothing is ever pulled.

  registry.k8s.io/pause:3.2              pause.c, built static with gcc
  registry.k8s.io/etcd:3.4.23-0          etcd and etcdctl of Debian's etcd-server/etcd-client 3.4.23
                                         (/usr/bin, installed by scripts/install-deps.sh) and the libraries
                                         they load, nothing else: DISTROLESS like upstream etcd images
                                         since 3.5.7 (no sh, cat, tar or busybox), so `save --via exec` is
                                         tried against what operators now have
  registry.k8s.io/kube-apiserver:v1.20.2 the kube-apiserver cached by scripts/kube-apiserver.sh (static)
  registry.k8s.io/etcd:3.5.30-0          when asked for (ensure(..., etcd35=DIR)): etcd, etcdctl and etcdutl
                                         3.5.30 from Debian sid (unpacked by scripts/install-deps.sh), distroless
                                         the same way (the upstream 3.5 images carry etcdutl too)

Each image is one layer. The tars are deterministic (sorted entries, owner 0, mtime 0) and cached
beside the binaries: <dir of kube-apiserver>/images-<key>/, the key hashing this file, pause.c and
the size and mtime of every input binary, so a new input builds new tars and nothing else does.

  python3 images.py KUBE_APISERVER     prints the dir holding pause.tar, etcd.tar, kube-apiserver.tar
"""

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ETCD_REF = "registry.k8s.io/etcd:3.4.23-0"
PAUSE_REF = "registry.k8s.io/pause:3.2"
APISERVER_REF = "registry.k8s.io/kube-apiserver:v1.20.2"
ETCD35_REF = "registry.k8s.io/etcd:3.5.30-0"
NAMES = ("pause", "etcd", "kube-apiserver")


def _libraries(binary):
    """The shared objects binary loads (ldd), as absolute paths; [] for a static binary."""
    r = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = r.stdout.decode()
    if "not a dynamic executable" in out or "statically linked" in out:
        return []
    libs = []
    for line in out.splitlines():
        m = re.search(r"(?:=> )?(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


class Layer:
    """A rootfs described entry by entry, written as one deterministic tar."""

    def __init__(self):
        self.entries = {}  # path inside the image -> (kind, source or target, mode)

    def dir(self, path, mode=0o755):
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self.entries.setdefault("/".join(parts[:i]), ("dir", None, mode if i == len(parts) else 0o755))

    def file(self, path, source, mode=None):
        self.dir(os.path.dirname(path.strip("/")))
        self.entries[path.strip("/")] = ("file", source, mode if mode is not None else os.stat(source).st_mode & 0o7777)

    def text(self, path, content, mode=0o644):
        self.dir(os.path.dirname(path.strip("/")))
        self.entries[path.strip("/")] = ("text", content.encode(), mode)

    def write(self, fileobj):
        with tarfile.open(fileobj=fileobj, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for path in sorted(self.entries):
                if not path:
                    continue
                kind, src, mode = self.entries[path]
                info = tarfile.TarInfo(path)
                info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = mode, 0, 0, 0, "", ""
                if kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif kind == "text":
                    info.size = len(src)
                    tar.addfile(info, io.BytesIO(src))
                else:
                    info.size = os.stat(src).st_size
                    with open(src, "rb") as f:
                        tar.addfile(info, f)


def _write_image(out, ref, layer, entrypoint=None):
    """out: a docker-archive (`docker save` layout: manifest.json, config, one layer) of ref."""
    with tempfile.TemporaryDirectory(dir=os.path.dirname(out)) as tmp:
        layer_path = os.path.join(tmp, "layer.tar")
        with open(layer_path, "wb") as f:
            layer.write(f)
        h = hashlib.sha256()
        with open(layer_path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        diff_id = h.hexdigest()
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                       "Entrypoint": entrypoint, "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "tests/e2e/realnode/images.py"}],
        }, sort_keys=True).encode()
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        manifest = json.dumps([{"Config": config_name, "RepoTags": [ref], "Layers": [diff_id + "/layer.tar"]}]).encode()

        def member(tar, name, data=None, path=None, dir=False):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if dir:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                return
            info.mode = 0o644
            if path:
                info.size = os.path.getsize(path)
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

        part = out + ".part"
        with open(part, "wb") as f, tarfile.open(fileobj=f, mode="w", format=tarfile.GNU_FORMAT) as tar:
            member(tar, config_name, config)
            member(tar, diff_id, dir=True)
            member(tar, diff_id + "/VERSION", b"1.0")
            member(tar, diff_id + "/layer.tar", path=layer_path)
            member(tar, "manifest.json", manifest)
        os.replace(part, out)


def _base(layer):
    layer.dir("tmp", 0o1777)
    layer.text("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n")
    layer.text("etc/group", "root:x:0:\n")
    layer.text("etc/nsswitch.conf", "hosts: files dns\n")


def _pause(out, work):
    binary = os.path.join(work, "pause")
    subprocess.run(["gcc", "-static", "-Os", "-s", "-o", binary, os.path.join(HERE, "pause.c")], check=True)
    layer = Layer()
    layer.file("pause", binary, 0o755)
    _write_image(out, PAUSE_REF, layer, ["/pause"])


def _etcd(out, ref, binaries):
    layer = Layer()
    _base(layer)
    layer.dir("var/lib/etcd", 0o700)
    for b in binaries:
        layer.file("usr/local/bin/" + os.path.basename(b), b, 0o755)
        for lib in _libraries(b):
            layer.file(lib, os.path.realpath(lib), 0o755)
    _write_image(out, ref, layer)


def _apiserver(out, binary):
    if _libraries(binary):
        raise RuntimeError("%s is not a static binary: the image holds no libraries for it" % binary)
    layer = Layer()
    _base(layer)
    layer.file("usr/local/bin/kube-apiserver", binary, 0o755)
    _write_image(out, APISERVER_REF, layer)


def ensure(apiserver, etcd="/usr/bin/etcd", etcdctl="/usr/bin/etcdctl", etcd35=None):
    """{name: tar path} for pause, etcd and kube-apiserver (and etcd-3.5 from the dir etcd35
    holding etcd, etcdctl and etcdutl 3.5.30); builds them once (a few seconds)."""
    key = hashlib.sha256()
    for f in (os.path.abspath(__file__), os.path.join(HERE, "pause.c")):
        with open(f, "rb") as fh:
            key.update(fh.read())
    etcd35_bins = [os.path.join(etcd35, b) for b in ("etcd", "etcdctl", "etcdutl")] if etcd35 else []
    for b in [apiserver, etcd, etcdctl] + etcd35_bins:
        st = os.stat(b)
        key.update(("%s %d %d\n" % (os.path.realpath(b), st.st_size, st.st_mtime_ns)).encode())
    d = os.path.join(os.path.dirname(os.path.abspath(apiserver)), "images-" + key.hexdigest()[:16])
    tars = {n: os.path.join(d, n + ".tar") for n in NAMES + (("etcd-3.5",) if etcd35 else ())}
    if all(os.path.isfile(t) for t in tars.values()):
        return tars
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        work = tempfile.mkdtemp(prefix="realnode-images-")
        try:
            if not os.path.isfile(tars["pause"]):
                _pause(tars["pause"], work)
            if not os.path.isfile(tars["etcd"]):
                _etcd(tars["etcd"], ETCD_REF, [etcd, etcdctl])
            if etcd35 and not os.path.isfile(tars["etcd-3.5"]):
                _etcd(tars["etcd-3.5"], ETCD35_REF, etcd35_bins)
            if not os.path.isfile(tars["kube-apiserver"]):
                _apiserver(tars["kube-apiserver"], apiserver)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return tars


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(os.path.dirname(ensure(sys.argv[1])["pause"]))
