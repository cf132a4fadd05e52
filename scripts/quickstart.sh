#!/usr/bin/env bash
# The README's two commands: `app` installs everything and runs hnet; `test` installs what the
# tests need and runs the whole suite. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "quickstart: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

node_ok() {
  command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'
}

install_app() {
  node_ok || apt_install nodejs npm
  node_ok || { echo "quickstart: hnet needs Node.js >= 20.19 (found $(node --version 2>/dev/null || echo none))" >&2; exit 1; }
  # g++/make/python3 build our own native addon; iproute2 lets the root helper configure hnet0;
  # libsodium23 is what the addon's data lane seals and opens packets with (loaded at run time).
  apt_install ca-certificates g++ make python3 iproute2 libsodium23
  npm ci --no-audit --no-fund
  npm run build
  # The engine never runs as root: started by root, hnetd becomes this system user (as the
  # package's hnetd.service runs it), a member of the group the root helper admits.
  if [ "$(id -u)" -eq 0 ]; then
    getent group hnet >/dev/null || groupadd --system hnet
    getent passwd hnet >/dev/null ||
      useradd --system --gid hnet --home-dir /var/lib/hnet --no-create-home --shell /usr/sbin/nologin hnet
  fi
}

case "${1:-}" in
  app)
    install_app
    exec npm start
    ;;
  test)
    install_app
    # Network lab (miniupnpd: the lab routers' port mapping), UI tests, benchmark reference and
    # the PostgreSQL store tests.
    apt_install nftables miniupnpd-nftables iperf3 iputils-ping procps chromium wireguard-go wireguard-tools postgresql
    exec npm test
    ;;
  *)
    echo "usage: scripts/quickstart.sh app|test" >&2
    exit 2
    ;;
esac
