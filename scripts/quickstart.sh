#!/usr/bin/env bash
# The README's two commands: `app` installs everything and runs hnet as a machine would (the root
# helper, the engine as the user hnet, the UI in a browser); `test` installs what the tests need and
# runs the whole suite. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# g++/make/python3 build our own native addons; iproute2 lets the root helper configure hnet0;
# libsodium23 is what the addon's data lane seals and opens packets with (loaded at run time).
APP_PACKAGES=(ca-certificates g++ make python3 iproute2 libsodium23)
# Network lab (miniupnpd: the lab routers' port mapping), UI tests, benchmark reference and the
# PostgreSQL store tests.
TEST_PACKAGES=(nftables miniupnpd-nftables iperf3 iputils-ping procps chromium wireguard-go wireguard-tools postgresql)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing_packages() {
  local pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || echo "$pkg"; done
}

apt_install() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "quickstart: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What `app` does as root, said before anything is touched, for a user who ran it without.
needs_root() {
  local missing
  mapfile -t missing < <(missing_packages "${APP_PACKAGES[@]}")
  command -v node >/dev/null || missing=(nodejs npm "${missing[@]}")
  {
    echo "quickstart: 'app' needs root. It runs hnet's root helper (it creates the network device hnet0"
    echo "and writes hnet's names into /etc/hosts), creates the system user hnet that the engine runs as,"
    if [ ${#missing[@]} -gt 0 ]; then
      echo "and installs these Debian packages: ${missing[*]}."
    else
      echo "and builds hnet (every Debian package it needs is installed already)."
    fi
    echo "Run it again as root:  sudo bash scripts/quickstart.sh app"
  } >&2
  # A Node.js too old for hnet's packages is worth knowing before asking for root.
  if command -v node >/dev/null; then node scripts/check-node.mjs >/dev/null || true; fi
  exit 1
}

# Whether root may mount here (CAP_SYS_ADMIN, bit 21): many containers do not allow it.
can_mount() {
  local caps
  caps="$(awk '/^CapEff:/ { print $2 }' /proc/self/status)"
  (((16#$caps >> 21) & 1))
}

# The engine runs as the user hnet, so it must read hnet's files: in a clone closed to other users
# (one in /root) the start path bind-mounts the checkout read-only for it, where root may mount.
# Where it may not, hnetd would refuse to start after the whole install: said before anything is.
check_readable_by_engine() {
  local dir perm
  dir="$(pwd -P)"
  while :; do
    perm="$(stat -c %A "$dir")"
    if [ "${perm:7:1}" != r ] && [ "$dir" = "$(pwd -P)" ] || [[ "${perm:9:1}" != [xt] ]]; then
      can_mount && return 0
      {
        echo "quickstart: hnet's engine runs as the user hnet, which cannot read this checkout:"
        echo "$dir is closed to other users ($perm), and this machine does not let root mount it"
        echo "for hnet (no CAP_SYS_ADMIN, as in many containers). Clone hnet where others can read it, for example:"
        echo "  git clone $(git config --get remote.origin.url 2>/dev/null || echo '<this repository>') /opt/hnet && bash /opt/hnet/scripts/quickstart.sh app"
      } >&2
      exit 1
    fi
    [ "$dir" = / ] && break
    dir="$(dirname "$dir")"
  done
}

# Node.js, and whether it satisfies what hnet's packages declare (scripts/check-node.mjs): asked
# before installing, so a too-old Node is one sentence here rather than warnings buried in npm's output.
check_node() {
  command -v node >/dev/null || apt_install nodejs npm
  command -v npm >/dev/null || apt_install npm
  node scripts/check-node.mjs
}

# Quiet: npm's and the build's own output goes to a log, shown only when a step fails.
install_app() {
  check_node
  apt_install "${APP_PACKAGES[@]}"
  local log
  log="$(mktemp -t hnet-quickstart.XXXXXX.log)"
  echo "quickstart: installing npm packages and building (log: $log)"
  if ! { npm ci --no-audit --no-fund --loglevel=error && npm run --silent build; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "quickstart: installing or building failed; the whole output is in $log" >&2
    exit 1
  fi
  rm -f "$log"
}

case "${1:-}" in
  app)
    [ "$(id -u)" -eq 0 ] || needs_root
    check_readable_by_engine
    install_app
    # The engine never runs as root: started by root, hnetd becomes this system user (as the
    # package's hnetd.service runs it), a member of the group the root helper admits.
    getent group hnet >/dev/null || groupadd --system hnet
    getent passwd hnet >/dev/null ||
      useradd --system --gid hnet --home-dir /var/lib/hnet --no-create-home --shell /usr/sbin/nologin hnet
    exec node --import tsx scripts/start.ts
    ;;
  test)
    install_app
    apt_install "${TEST_PACKAGES[@]}"
    exec npm test
    ;;
  *)
    echo "usage: scripts/quickstart.sh app|test" >&2
    exit 2
    ;;
esac
