#!/usr/bin/env bash
# The Kubernetes API's protobuf schemas for `kubectl etcdrestore get -o json|yaml` of built-in
# kinds (shared/k8sobj/schema.h), taken from the API's own source: Debian's `kubernetes` source
# package (the tree scripts/kube-apiserver.sh builds kube-apiserver from), fetched once per
# machine and cached outside the checkout, keyed by the Debian version:
#   ${ETCDRESTORE_CACHE:-~/.cache/etcdrestore}/k8s-proto/<debian version>/
#     k8s.io/**/generated.proto   the API groups' messages (staging/src/k8s.io/{api,apimachinery,
#                                 apiextensions-apiserver,kube-aggregator}), as the tree has them
#     json-tags.tsv               each Go struct field's JSON tag, by proto message and field
#                                 number: "<message>\t<number>\t<json name>\t<flags>", flags
#                                 o=omitempty, i=inline, p=pointer (the proto files do not say
#                                 how Go prints a field; the types' Go source does)
#     .complete                   written last
# Nothing else of the source is kept. CMake finds this directory by itself (or
# -DETCDRESTORE_K8S_PROTO_DIR=...) and compiles the schemas into the binary at build time.
#
# Usage: scripts/k8s-protos.sh [path|version]
#   path (default)  print the cache directory; fetch the source first if it is missing
#                   (apt-get source --download-only, ~35 MB, a few seconds; needs root the
#                   first time for the deb-src entry)
#   version         print the cache key (the Debian source version)
set -euo pipefail

CACHE=${ETCDRESTORE_CACHE:-$HOME/.cache/etcdrestore}/k8s-proto

log() { printf 'k8s-protos.sh: %s\n' "$*" >&2; }

# debian_version, ensure_deb_src
# shellcheck source-path=SCRIPTDIR
# shellcheck source=debian-source.sh
. "$(dirname "$0")/debian-source.sh"

WORK=
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }
trap cleanup EXIT

# The packages whose generated.proto files describe objects the API server stores.
PKG_DIRS=(k8s.io/api k8s.io/apimachinery/pkg/api k8s.io/apimachinery/pkg/apis/meta k8s.io/apimachinery/pkg/runtime
          k8s.io/apimachinery/pkg/util/intstr k8s.io/apiextensions-apiserver/pkg/apis
          k8s.io/kube-aggregator/pkg/apis)

fetch() { # fetch DEST VERSION
  local dest=$1 version=$2 orig
  ensure_deb_src
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/k8s-protos.XXXXXX")
  log "fetching Debian source kubernetes=$version into $WORK"
  ( cd "$WORK" && apt-get source --download-only -qq "kubernetes=$version" >/dev/null 2>&1 ) ||
    ( cd "$WORK" && apt-get source --download-only -qq kubernetes >/dev/null )
  orig=$(find "$WORK" -maxdepth 1 -name 'kubernetes_*.orig.tar.*' | head -n 1)
  [ -n "$orig" ] || { log "no orig tarball downloaded in $WORK"; return 1; }
  # Only the API packages' .proto and .go files (Debian's patches touch neither: kubectl printing).
  local pats=() d
  for d in "${PKG_DIRS[@]}"; do pats+=("*/staging/src/$d/*.proto" "*/staging/src/$d/*.go"); done
  mkdir "$WORK/src"
  tar -xf "$orig" -C "$WORK/src" --strip-components=3 --wildcards "${pats[@]}"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  ( cd "$WORK/src" && find k8s.io -name generated.proto ! -path '*/testapigroup/*' -print0 |
      xargs -0 cp --parents -t "$dest.tmp" )
  python3 - "$WORK/src" "$dest.tmp" > "$dest.tmp/json-tags.tsv" <<'PY'
import os, re, sys
src, dest = sys.argv[1], sys.argv[2]
struct_re = re.compile(r'^type\s+(\w+)\s+struct\s*{\s*$')
field_re = re.compile(r'^\s*(?:(\w+)\s+)?(\*?[\w.\[\]*]+)\s+`([^`]*)`')
tag_re = re.compile(r'(\w+):"([^"]*)"')
rows = set()
for root, _, files in os.walk(dest):
    if 'generated.proto' not in files:
        continue
    rel = os.path.relpath(root, dest)           # k8s.io/api/apps/v1
    pkg = re.search(r'^package\s+([\w.]+);', open(os.path.join(root, 'generated.proto')).read(), re.M).group(1)
    for name in sorted(os.listdir(os.path.join(src, rel))):
        if not name.endswith('.go') or name.endswith('_test.go') or name.startswith('zz_generated') or name.endswith('.pb.go'):
            continue
        struct = None
        for line in open(os.path.join(src, rel, name), encoding='utf-8'):
            if struct is None:
                m = struct_re.match(line)
                if m:
                    struct = m.group(1)
                continue
            if line.startswith('}'):
                struct = None
                continue
            m = field_re.match(line)
            if not m:
                continue
            tags = dict(tag_re.findall(m.group(3)))
            if 'protobuf' not in tags or 'json' not in tags:
                continue
            number = tags['protobuf'].split(',')[1]
            jparts = tags['json'].split(',')
            if jparts[0] == '-':
                continue
            flags = ''
            if 'omitempty' in jparts[1:]: flags += 'o'
            if 'inline' in jparts[1:]: flags += 'i'
            if m.group(2).startswith('*'): flags += 'p'
            rows.add((f'{pkg}.{struct}', int(number), jparts[0], flags or '-'))
for r in sorted(rows):
    print(f'{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}')
PY
  [ "$(wc -l < "$dest.tmp/json-tags.tsv")" -gt 1000 ] || { log "too few Go struct fields read from the source"; return 1; }
  touch "$dest.tmp/.complete"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  log "$(find "$dest" -name generated.proto | wc -l) proto files and $(wc -l < "$dest/json-tags.tsv") field tags in $dest"
}

ensure() {
  local version dest
  version=$(debian_version)
  dest=$CACHE/$version
  if [ ! -f "$dest/.complete" ]; then
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9
    [ -f "$dest/.complete" ] || fetch "$dest" "$version"
    exec 9>&-
  fi
  printf '%s\n' "$dest"
}

case ${1:-path} in
  path) ensure ;;
  version) debian_version ;;
  *) sed -n '2,22s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
