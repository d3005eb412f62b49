#!/usr/bin/env bash
# Builds what is stale: the C half with meson/ninja into build/, the TypeScript half with tsc
# into dist/. Both tools are incremental, so a second run costs about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'manifold: %s\n' "$*"; }
# Runs a command silently, showing its output only when it fails.
quiet() { local out; out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }; }

if [ ! -f build/build.ninja ]; then
	say "configuring the C build (meson setup build)"
	quiet meson setup build --buildtype=release
fi
say "building the core and libmanifold_ctl (ninja -C build)"
quiet ninja -C build
say "building the TypeScript (tsc)"
npx tsc -p . --incremental --tsBuildInfoFile dist/.tsbuildinfo
