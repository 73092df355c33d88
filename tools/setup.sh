#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building and testing Gate:
# Deno (pinned, from the npm registry, into .tools/ unless one is on PATH) and,
# when running as root, the Debian packages that convert and build test
# programs. Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
APT_PACKAGES=(wabt clang lld wasi-libc libclang-rt-14-dev-wasm32)

if ! command -v deno >/dev/null && [ ! -x .tools/bin/deno ]; then
	echo "setup: installing deno@$DENO_VERSION from npm into .tools/" >&2
	npm install --prefix .tools --no-save --no-audit --no-fund --ignore-scripts \
		--loglevel=error "deno@$DENO_VERSION" >&2
	bin=$(ls .tools/node_modules/@deno/linux-*-glibc/deno 2>/dev/null | head -n 1)
	if [ -z "$bin" ]; then
		echo "setup: the deno package has no binary for this platform" >&2
		exit 1
	fi
	mkdir -p .tools/bin
	ln -sf "../${bin#.tools/}" .tools/bin/deno
fi

missing=()
command -v wast2json >/dev/null || missing+=(wabt)
command -v clang >/dev/null || missing+=(clang)
command -v wasm-ld >/dev/null || missing+=(lld)
[ -d /usr/include/wasm32-wasi ] || [ -d /usr/lib/wasm32-wasi ] || missing+=(wasi-libc)
ls /usr/lib/llvm-14/lib/clang/14*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 ||
	missing+=(libclang-rt-14-dev-wasm32)
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages (${missing[*]}); run as root or install: apt-get install ${APT_PACKAGES[*]}" >&2
		exit 1
	fi
	echo "setup: installing Debian packages: ${APT_PACKAGES[*]}" >&2
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
fi
