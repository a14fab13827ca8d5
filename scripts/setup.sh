#!/usr/bin/env bash
# Install what fusecheck needs from Debian 12 and build it into ./build.
# Idempotent: installs only missing packages, reconfigures an existing build.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	# build
	gcc meson ninja-build pkg-config
	libfuse3-dev libjansson-dev libxml2-dev libcmocka-dev libzstd-dev
	libarchive-dev libxxhash-dev
	# run: FUSE userspace and the mount helpers some filesystems need
	fuse3
	# tests: pytest, and real filesystems from Debian to attach to
	python3-pytest fuse-overlayfs squashfuse squashfs-tools bindfs
	python3-pyfuse3 libnbd-bin nbdkit
	# `fusecheck vm`: qemu and a static busybox for the guest (the kernel
	# packages it boots are fetched by apt-get download when named)
	qemu-system-x86 busybox-static
	# fuzzing (scripts/fuzz.sh): clang and its libFuzzer/sanitizer runtimes
	clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}"
fi

if [ -d build ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build
