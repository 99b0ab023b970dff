"""kubeadm-shaped certificates made with the openssl CLI, for the e2e harnesses (kube_harness.py's
Pki, realnode.py's cluster PKI). EC P-256 keys, SHA-256 signatures; names are kubeadm's file names
without the ending (`ca` -> ca.crt and ca.key), relative to the PKI dir.

  ca(d, "etcd/ca", "etcd-ca", days=30)                 # a self-signed CA: etcd/ca.crt, etcd/ca.key
  leaf(d, "apiserver", "ca", "/CN=kube-apiserver", "serverAuth", san="IP:127.0.0.1", days=30)
                                                       # a leaf signed by ca.crt/ca.key (eku: extendedKeyUsage)
  service_account_keys(d)                              # sa.key, sa.pub
  restrict_keys(d)                                     # every *.key below d mode 0600

Errors: RuntimeError naming the openssl command and what it printed.
"""

import os
import subprocess

_EC = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))


def ca(d, name, cn, days):
    openssl("req", "-x509", *_EC, "-keyout", name + ".key", "-out", name + ".crt", "-days", str(days),
            "-subj", "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign", cwd=d)


def leaf(d, name, ca_name, subj, eku, san=None, days=30):
    openssl("req", "-new", *_EC, "-keyout", name + ".key", "-out", name + ".csr", "-subj", subj, cwd=d)
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
        f.write("extendedKeyUsage=%s\n" % eku + ("subjectAltName=%s\n" % san if san else ""))
    try:
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca_name + ".crt", "-CAkey", ca_name + ".key",
                "-CAcreateserial", "-days", str(days), "-sha256", "-extfile", ext, "-out", name + ".crt", cwd=d)
    finally:
        os.remove(os.path.join(d, name + ".csr"))
        os.remove(ext)


def service_account_keys(d):
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key", cwd=d)
    openssl("ec", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=d)


def restrict_keys(d):
    for root, _, files in os.walk(d):
        for f in files:
            if f.endswith(".key"):
                os.chmod(os.path.join(root, f), 0o600)
