# shellcheck shell=bash
# Sourced by scripts/kube-apiserver.sh and scripts/k8s-protos.sh (not run on its own): what both
# need to fetch Debian's `kubernetes` source package. The caller defines log().

# The Debian version of kubernetes (the binary package built from the same source carries the
# same version; this works without a deb-src entry, so a cache is found without touching apt).
debian_version() {
  local v
  v=$(apt-cache policy kubernetes-client 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  if [ -z "$v" ] || [ "$v" = "(none)" ]; then
    log "cannot tell the Debian kubernetes version (apt-cache policy kubernetes-client); run apt-get update"
    return 1
  fi
  printf '%s\n' "$v"
}

# Adds a deb-src entry mirroring the deb one (root only) so that `apt-get source` works.
ensure_deb_src() {
  if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ || grep -qs '^deb-src' /etc/apt/sources.list; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || { log "no deb-src entry in apt sources and not root: cannot fetch the source"; return 1; }
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      > /etc/apt/sources.list.d/etcdrestore-src.sources
  else
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/etcdrestore-src.list
  fi
  apt-get update -qq
}
