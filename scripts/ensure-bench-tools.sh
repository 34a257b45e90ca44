#!/usr/bin/env bash
# Makes wrk and webdis available to `npm run bench:proxy`, from Debian packages. wrk is installed
# as usual. webdis is only unpacked into .bench-tools/ (its libraries installed as usual): the
# package's own install would start a system service pointed at 127.0.0.1:6379, and the benchmark
# must run its own webdis against its own private Valkey. Prints the webdis binary's path.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tools="$here/.bench-tools"
webdis_bin="$tools/webdis/usr/bin/webdis"

if command -v wrk >/dev/null 2>&1 && [ -x "$webdis_bin" ]; then
  echo "$webdis_bin"
  exit 0
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
The proxy benchmark needs wrk and webdis. Install them (Debian: apt-get install wrk webdis, then
stop the webdis service it starts), or run as root on Debian to let this script do it.
MSG
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "Installing wrk and the libraries webdis needs (apt-get)" >&2
apt-get update -qq
apt-get install -y -qq wrk libb64-0d libevent-2.1-7 libhiredis0.14 libjansson4 >/dev/null

echo "Unpacking webdis into $tools (no service is installed or started)" >&2
mkdir -p "$tools"
(cd "$tools" && apt-get download -qq webdis)
deb=$(ls -t "$tools"/webdis_*.deb | head -n 1)
rm -rf "$tools/webdis"
dpkg-deb -x "$deb" "$tools/webdis"
rm -f "$deb"
echo "$webdis_bin"
