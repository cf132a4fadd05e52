#!/bin/sh
# deb postrm: stop the services the package started; state in /var/lib/hnet is kept for a reinstall.
set -e
# On upgrade the new version's postinst restarts them; only a real removal stops them here.
case "$1" in remove | purge) ;; *) exit 0 ;; esac
if [ -d /run/systemd/system ]; then
  systemctl disable --now hnetd.service hnet-helper.service 2>/dev/null || true
  systemctl daemon-reload
fi
