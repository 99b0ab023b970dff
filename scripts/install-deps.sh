#!/usr/bin/env bash
# Installs everything etcdrestore needs to build and test, from Debian packages only.
# Idempotent and quick when everything is present. Run as root (CI is root).
#
#   scripts/install-deps.sh          build deps + etcd 3.4.23 (bookworm) + etcd 3.5 (unpacked, not installed)
#
# etcd 3.5 comes from Debian's newer suites, downloaded with apt and unpacked under
# $ETCD35_CACHE (default ~/.cache/etcdrestore/etcd-3.5), never installed, so the system
# apt state is untouched. Two versions: trixie's 3.5.16 (durable) and sid's 3.5.x
# (has etcdutl --bump-revision). scripts/etcd-bins.sh prints where they are.
set -euo pipefail

PKGS=(g++ cmake ninja-build pkg-config ca-certificates openssl
      libcli11-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
      libyaml-cpp-dev nlohmann-json3-dev libfmt-dev libssl-dev libgtest-dev libgmock-dev
      libboost-dev libsodium-dev etcd-server etcd-client python3 python3-yaml shellcheck
      clang-19 libclang-rt-19-dev   # the ASan/UBSan + libFuzzer build (clang 14 lacks std::expected)
      containerd runc)              # the real nodes of tests/e2e/realnode.py (with the cached kubelet)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

C=${ETCD35_CACHE:-$HOME/.cache/etcdrestore/etcd-3.5}
fetch_suite() {  # suite pkgversion-or-empty destdir
  local suite=$1 ver=$2 dest=$3
  [ -x "$dest/usr/bin/etcdutl" ] && return 0
  local w="$C/apt-$suite"
  mkdir -p "$w/lists/partial" "$w/debs"
  local uri
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  printf 'deb %s %s main\n' "$uri" "$suite" > "$w/sources.list"
  local o=(-o "Dir::Etc::SourceList=$w/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o "Dir::State::Lists=$w/lists" -o APT::Sandbox::User=root)
  apt-get "${o[@]}" update -qq >/dev/null
  local spec_s=etcd-server spec_c=etcd-client
  if [ -n "$ver" ]; then spec_s="etcd-server=$ver"; spec_c="etcd-client=$ver"; fi
  rm -f "$w"/debs/*.deb
  (cd "$w/debs" && apt-get "${o[@]}" download "$spec_s" "$spec_c" >/dev/null 2>&1)
  rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
  for f in "$w"/debs/*.deb; do dpkg -x "$f" "$dest.tmp"; done
  rm -rf "$dest"; mv "$dest.tmp" "$dest"
  rm -rf "$w/lists"   # ~20 MB each, not needed after the download
  echo "install-deps: etcd from $suite: $("$dest/usr/bin/etcd" --version | head -1)"
}
fetch_suite trixie 3.5.16-4 "$C/trixie" || echo "install-deps: warning: could not fetch etcd 3.5 from trixie" >&2
fetch_suite sid "" "$C/sid" || echo "install-deps: warning: could not fetch etcd 3.5 from sid" >&2
echo "install-deps: ok"
