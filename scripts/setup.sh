#!/usr/bin/env bash
# Makes sure the machine has what dfut's tests, demo and benchmarks need beyond npm:
# nats-server (Debian's package) and, for the web UI tests, Chromium.
# Idempotent: installs only what is missing. As non-root it says what to install.
set -euo pipefail

need=()
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
if [ "${DFUT_SKIP_BROWSER:-}" != "1" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
command -v script >/dev/null 2>&1 || need+=(bsdutils)
command -v tmux >/dev/null 2>&1 || need+=(tmux)

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ]; then
  echo "dfut setup: missing ${need[*]}. Install with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "dfut setup: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi
echo "dfut setup: installing ${need[*]} from the Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
