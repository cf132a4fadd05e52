#!/bin/sh
# deb postinst: the helper and hnetd run as system services from the first boot on. The desktop
# app attaches to this hnetd instead of starting an engine of its own.
set -e
# The helper admits members of the hnet group (as src-helper/api/install.ts sets it up); hnetd runs
# as the system user hnet, a member of it (hnetd.service: the engine is never root).
getent group hnet >/dev/null || groupadd --system hnet
getent passwd hnet >/dev/null ||
  useradd --system --gid hnet --home-dir /var/lib/hnet --no-create-home --shell /usr/sbin/nologin hnet
mkdir -p -m 0755 /etc/hnet
[ -e /etc/hnet/helper.json ] || printf '%s\n' '{"group":"hnet"}' >/etc/hnet/helper.json
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now hnet-helper.service hnetd.service || true
fi
