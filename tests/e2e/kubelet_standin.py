"""A node-side stand-in for the kubelet's exec endpoint, for `save --via exec` tests.

No kubelet can run here (no container runtime). The kube-apiserver proxies
`pods/exec` to the node's kubelet (Node status InternalIP + daemonEndpoints.kubeletEndpoint.Port,
with its --kubelet-client-certificate, verifying the kubelet with --kubelet-certificate-authority);
kube-apiserver 1.20 forwards the client's upgrade request unchanged, so with our client the
kubelet side speaks WebSocket with the channel.k8s.io protocols. This stand-in implements just
that: HTTPS (client cert required), GET /exec/<ns>/<pod>/<container>?command=..., a WebSocket
upgrade choosing v4.channel.k8s.io (what a 1.20 kubelet offers; `prefer_v5` picks
v5.channel.k8s.io when offered), then it runs the command as the container would: the pod's
volumeMounts are applied by rewriting container paths in the arguments to their hostPath, and
`etcdctl` is the real etcdctl of the pod image's etcd version. stdout/stderr go out on
channels 1/2, the exit status as a metav1.Status on channel 3, as the kubelet sends them.
"""

import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import subprocess
import threading
import urllib.parse

from harness import find_etcd

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _frame(opcode, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


class KubeletStandIn:
    def __init__(self, cert, key, client_ca, get_pod, prefer_v5=False):
        """get_pod(namespace, name) -> the Pod as a dict (from the API server)."""
        self.get_pod, self.prefer_v5 = get_pod, prefer_v5
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.ctx.load_verify_locations(client_ca)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = []  # (path, offered protocols, chosen protocol, argv run)
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self._stop = True
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self.thread.join(5)
        self.sock.close()

    def _serve(self):
        while not self._stop:
            conn, _ = self.sock.accept()
            if self._stop:
                conn.close()
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, raw):
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        try:
            self._exec(conn)
        except Exception as e:  # a broken test server should say why in the test log
            print("kubelet stand-in: %r" % e)
        finally:
            conn.close()

    def _exec(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode()
        request_line, *header_lines = head.split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines if ":" in h)}
        url = urllib.parse.urlsplit(target)
        parts = url.path.strip("/").split("/")
        if parts[0] != "exec" or len(parts) != 4 or headers.get("upgrade", "").lower() != "websocket":
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        _, ns, pod_name, container = parts
        query = urllib.parse.parse_qs(url.query)
        offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        want = ["v5.channel.k8s.io", "v4.channel.k8s.io"] if self.prefer_v5 else ["v4.channel.k8s.io"]
        chosen = next((p for p in want if p in offered), None)
        if chosen is None:
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n" % (accept, chosen)).encode())
        argv = self._container_argv(self.get_pod(ns, pod_name), container, query.get("command", []))
        self.requests.append((url.path, offered, chosen, argv))
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env={"PATH": "/usr/bin:/bin", "ETCDCTL_API": "3"}, timeout=120)
        if p.stdout:
            conn.sendall(_frame(2, b"\x01" + p.stdout))
        if p.stderr:
            conn.sendall(_frame(2, b"\x02" + p.stderr))
        if p.returncode == 0:
            status = {"metadata": {}, "status": "Success"}
        else:
            status = {"metadata": {}, "status": "Failure",
                      "message": "command terminated with non-zero exit code: exit status %d" % p.returncode,
                      "reason": "NonZeroExitCode",
                      "details": {"causes": [{"reason": "ExitCode", "message": str(p.returncode)}]}}
        conn.sendall(_frame(2, b"\x03" + json.dumps(status).encode()))
        conn.sendall(_frame(8, struct.pack("!H", 1000)))
        conn.settimeout(2)
        try:
            conn.recv(1024)  # the client's close frame
        except (socket.timeout, OSError):
            pass

    @staticmethod
    def _container_argv(pod, container, command):
        """command as the container would run it: container paths -> hostPath, etcdctl of
        the image's etcd version."""
        spec = pod["spec"]
        host = {v["name"]: v["hostPath"]["path"] for v in spec.get("volumes", []) if "hostPath" in v}
        [c] = [c for c in spec["containers"] if c["name"] == container]
        mounts = sorted(((m["mountPath"].rstrip("/"), host[m["name"]]) for m in c.get("volumeMounts", [])
                         if m["name"] in host), key=lambda m: -len(m[0]))

        def rewrite(arg):
            prefix, sep, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
            for mount_path, host_path in mounts:
                if value == mount_path or value.startswith(mount_path + "/"):
                    value = host_path + value[len(mount_path):]
                    break
            return prefix + sep + value

        argv = [rewrite(a) for a in command]
        if argv and argv[0] == "etcdctl":
            version = c["image"].rsplit(":", 1)[1].split("-")[0]
            v = "3.4" if version.startswith("3.4") else "3.5.16"
            argv[0] = find_etcd(v, "etcdctl") or "/usr/bin/etcdctl"
        return argv
