#!/bin/sh
# Installs Debian's nginx for benchmarks/download_nginx.py (a static file server that
# sends with sendfile, so nearly all of the machine's CPU is left to the client).
# Only the package is installed: the benchmark runs nginx as its own process with a
# config generated into a temporary folder; no system configuration is read or changed.
set -eu
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
else
    as_root="sudo -n"
fi
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends nginx
