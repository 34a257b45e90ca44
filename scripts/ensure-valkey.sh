#!/usr/bin/env bash
# Ensures valkey-server and valkey-cli are on PATH. On Debian 12 as root with apt, installs
# Valkey 8 from bookworm-backports (adding that apt source); elsewhere prints the install
# instruction and exits 1.
set -euo pipefail

if command -v valkey-server >/dev/null 2>&1 && command -v valkey-cli >/dev/null 2>&1; then
  exit 0
fi

codename=""
if [ -r /etc/os-release ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
fi

if [ "$codename" != "bookworm" ] || [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
  cat >&2 <<'MSG'
valkey-server was not found on PATH, and this is not Debian 12 (bookworm) as root, so it is not
installed automatically. Install Valkey 8, then run the command again:
  Debian 12:  echo 'deb http://deb.debian.org/debian bookworm-backports main' \
                | sudo tee /etc/apt/sources.list.d/bookworm-backports.list
              sudo apt-get update
              sudo apt-get install -t bookworm-backports valkey-server valkey-tools
  macOS:      brew install valkey
Or point the tests and the demo at a running server with VALKEY_URL=redis://host:port.
MSG
  exit 1
fi

source_file=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "Adding the bookworm-backports apt source ($source_file)" >&2
  echo 'deb http://deb.debian.org/debian bookworm-backports main' >"$source_file"
fi

echo "Installing valkey-server and valkey-tools from bookworm-backports" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports valkey-server valkey-tools >/dev/null
# The package starts a system service on 6379; the tests start their own servers, so stop it
# if the package started one (Redis already owns 6379 on machines that run both).
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now valkey-server >/dev/null 2>&1 || true
fi
valkey-server --version >&2
