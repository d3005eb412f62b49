#!/usr/bin/env bash
# Brings a machine from a fresh clone to a built manifold: Debian packages, npm packages, the C
# build (meson/ninja) and the TypeScript build (tsc). Runs before `npm start`, `npm test` and
# `npm run bench`; each step says in one line what it does and is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'manifold: %s\n' "$*"; }
die() { printf 'manifold: error: %s\n' "$*" >&2; exit 1; }

# Debian packages: what the build and the tests use. dpdk brings dpdk-testpmd, dpdk-telemetry.py,
# dpdk-proc-info and dpdk-dumpcap (peers and tools); iproute2 the namespaces of the demo and tests;
# tshark reads the captures of the shell tests (its debconf question is why installs are
# DEBIAN_FRONTEND=noninteractive).
debs=(dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config gcc libc6-dev iproute2 python3 iputils-ping tshark)
missing=()
for pkg in "${debs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		die "missing Debian packages: ${missing[*]}. Run as root: $cmd"
	fi
	say "installing Debian packages: ${missing[*]}"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
	|| [ package.json -nt node_modules/.package-lock.json ]; then
	say "installing npm packages (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

bash scripts/build.sh
