#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a green `bazel test //...`.
#
# Idempotent: every step checks before it acts, so a second run is quick. Run as root.
# It installs Debian packages, provisions the runtime toolchain (ci/provision_runtimes.sh)
# and applies the host fixes the runtimes need. It starts no long-running service.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

step() { printf '==> %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and mounts cgroups)"

packages=(
  bazel-bootstrap g++ python3 python3-protobuf
  libgtest-dev libgmock-dev librapidcheck-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libcli11-dev libprotobuf-dev protobuf-compiler
  patchelf busybox-static iproute2 curl jq containernetworking-plugins runc
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${missing[@]}" || die "apt-get install failed for: ${missing[*]}"
else
  step "Debian packages present"
fi

if [ -x "$here/provision_runtimes.sh" ]; then
  "$here/provision_runtimes.sh" || die "runtime provisioning failed (see the step above)"
fi

step "setup complete"
