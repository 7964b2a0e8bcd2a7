#!/usr/bin/env bash
# Provisions the checkpoint/restore toolchain crh tests against, without touching the system's apt
# state: Debian sid's criu, runc and crun, unpacked into a private prefix, their binaries patched
# to use that prefix's loader and libraries, and sid's python3-pycriu (CRIU's image decoder
# `crit`, the oracle of crh's stats decoding), run by the system's python3. Also applies the host
# fix crun needs on hybrid cgroups, runs `criu check`, and writes the toolchain manifest read by
# src/oci/toolchain.h.
#
# Called by ci/setup.sh (which installs bookworm's runc, patchelf, python3, python3-protobuf).
# Idempotent: when the binaries are present and run, it only re-checks and rewrites the manifest.
#
# Environment:
#   CRH_PREFIX      install prefix (default /opt/crh)
#   CRH_REFETCH=1   download and unpack again even if the binaries work
#
# Layout under the prefix:
#   apt-sid/            private apt configuration, lists, cache and downloaded .debs
#   runtimes/sid/       every .deb unpacked with dpkg -x (loader and libraries live here)
#   bin/criu            patched criu; this folder goes first on PATH for runc >= 1.2 and crun
#   runtimes/bin/       patched runc and crun
#   pycriu/             python3-pycriu unpacked; pycriu/bin/crit runs it with /usr/bin/python3
#   toolchain.json      the manifest
set -Eeuo pipefail

PREFIX="${CRH_PREFIX:-/opt/crh}"
APTDIR="$PREFIX/apt-sid"
SID="$PREFIX/runtimes/sid"
CRIU_DIR="$PREFIX/bin"
RT_DIR="$PREFIX/runtimes/bin"
PYCRIU="$PREFIX/pycriu"
CRIT="$PYCRIU/bin/crit"
MANIFEST="$PREFIX/toolchain.json"
SYSTEM_RUNC=/usr/sbin/runc
SYSTEM_SOURCES=/etc/apt/sources.list.d/debian.sources

EXPECT_CRIU=4.2.1
EXPECT_RUNC=1.3.6
EXPECT_CRUN=1.28
EXPECT_CRIT=4.2.1

current_step="start"
step() { current_step="$*"; printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'provision_runtimes: step "%s" failed: %s\n' "$current_step" "$*" >&2; exit 1; }
trap 'die "command failed (line $LINENO, exit $?): $BASH_COMMAND"' ERR

[ "$(id -u)" = 0 ] || die "must run as root"
for tool in patchelf dpkg apt-get; do
  command -v "$tool" >/dev/null || die "$tool is not installed (ci/setup.sh installs it)"
done

# Prints the version a binary reports, or nothing if it does not run.
criu_version() { "$1" --version 2>/dev/null | sed -n 's/^Version: *//p' | head -n1; }
crit_version() { "$1" --version 2>/dev/null | head -n1; }
runc_version() { "$1" --version 2>/dev/null | sed -n 's/^runc version *\([^+~ ]*\).*/\1/p' | head -n1; }
crun_version() { "$1" --version 2>/dev/null | sed -n 's/^crun version *//p' | head -n1; }

binaries_work() {
  [ -n "$(criu_version "$CRIU_DIR/criu")" ] && [ -n "$(runc_version "$RT_DIR/runc")" ] &&
    [ -n "$(crun_version "$RT_DIR/crun")" ]
}

# --- 1. fetch sid's packages with a private apt configuration ------------------------------------
# Sets APT_OPTS to a private apt configuration for sid and updates its lists, once per run.
APT_OPTS=()
private_apt() {
  [ "${#APT_OPTS[@]}" -gt 0 ] && return 0
  [ -r "$SYSTEM_SOURCES" ] || die "$SYSTEM_SOURCES not found: cannot learn the archive's URI"
  # The URI of the stanza that serves the release itself (not -security, not -updates).
  local uri keyring
  uri="$(awk '
    /^[[:space:]]*$/ { if (u != "" && main) { print u; exit } u=""; main=0; next }
    /^URIs:/ { u=$2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-/) main=1 }
    END { if (u != "" && main) print u }' "$SYSTEM_SOURCES" | head -n1)"
  [ -n "$uri" ] || die "no URIs: line for the main suite in $SYSTEM_SOURCES"
  keyring="$(awk '/^Signed-By:/ { print $2; exit }' "$SYSTEM_SOURCES")"
  mkdir -p "$APTDIR/srcparts" "$APTDIR/lists/partial" "$APTDIR/cache" "$APTDIR/archives/partial"
  {
    echo "Types: deb"
    echo "URIs: $uri"
    echo "Suites: sid"
    echo "Components: main"
    if [ -n "$keyring" ]; then echo "Signed-By: $keyring"; fi
  } >"$APTDIR/srcparts/sid.sources"
  note "archive URI from $SYSTEM_SOURCES, suite sid"
  APT_OPTS=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=$APTDIR/srcparts"
    -o "Dir::State::Lists=$APTDIR/lists"
    -o "Dir::Cache=$APTDIR/cache"
    -o "Dir::Cache::archives=$APTDIR/archives"
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
    -o "APT::Get::List-Cleanup=0"
  )
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q "${APT_OPTS[@]}" update >"$APTDIR/update.log" 2>&1 ||
    die "apt-get update (private sid lists) failed: $(tail -n 5 "$APTDIR/update.log")"
}

fetch_debs() {
  step "fetching sid's criu, runc and crun with a private apt configuration ($APTDIR)"
  private_apt
  local -a opts=("${APT_OPTS[@]}")
  # libcriu2 is what crun dlopens; name it so it is fetched even if nothing depends on it.
  apt-get -q -y "${opts[@]}" install --download-only --no-install-recommends \
    criu runc crun libcriu2 >"$APTDIR/download.log" 2>&1 ||
    die "apt-get install --download-only failed: $(tail -n 5 "$APTDIR/download.log")"
  local n
  n="$(find "$APTDIR/archives" -maxdepth 1 -name '*.deb' | wc -l)"
  [ "$n" -gt 0 ] || die "no .deb downloaded (see $APTDIR/download.log)"
  note "$n .deb files in $APTDIR/archives"
}

# --- 2. unpack and patch -------------------------------------------------------------------------
unpack_and_patch() {
  step "unpacking the .deb files into $SID"
  rm -rf "$SID.new"
  mkdir -p "$SID.new"
  local deb
  for deb in "$APTDIR"/archives/*.deb; do
    dpkg -x "$deb" "$SID.new" || die "dpkg -x $deb failed"
  done
  rm -rf "$SID"
  mv "$SID.new" "$SID"

  step "copying and patching criu, runc and crun"
  local loader="$SID/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
  [ -e "$loader" ] || loader="$SID/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
  [ -e "$loader" ] || die "sid's loader (ld-linux-x86-64.so.2) is not in $SID: was libc6 downloaded?"
  local rpath="$SID/usr/lib/x86_64-linux-gnu:$SID/lib/x86_64-linux-gnu"
  mkdir -p "$CRIU_DIR" "$RT_DIR"
  local name src dst
  for name in criu runc crun; do
    src=""
    for d in usr/sbin usr/bin sbin bin; do
      [ -x "$SID/$d/$name" ] && { src="$SID/$d/$name"; break; }
    done
    [ -n "$src" ] || die "$name is not in the unpacked packages under $SID"
    if [ "$name" = criu ]; then dst="$CRIU_DIR/criu"; else dst="$RT_DIR/$name"; fi
    cp -f "$src" "$dst.tmp"
    patchelf --set-interpreter "$loader" --force-rpath --set-rpath "$rpath" "$dst.tmp" ||
      die "patchelf $name failed"
    mv -f "$dst.tmp" "$dst"
    note "$dst"
  done
  [ -e "$SID/usr/lib/x86_64-linux-gnu/libcriu.so.2" ] ||
    die "libcriu.so.2 is not in $SID/usr/lib/x86_64-linux-gnu: crun could not checkpoint"
}

if [ "${CRH_REFETCH:-0}" = 1 ] || ! binaries_work; then
  fetch_debs
  unpack_and_patch
else
  step "sid criu, runc and crun present under $PREFIX"
fi

# --- 2b. crit: sid's python3-pycriu on the system's python3 --------------------------------------
# Only that one package: its dependencies are python3 and python3-protobuf, which bookworm's own
# packages provide (ci/setup.sh installs them); sid's python3 would drag in a new libc.
fetch_crit() {
  step "fetching sid's python3-pycriu (crit) with the private apt configuration"
  private_apt
  mkdir -p "$APTDIR/pycriu"
  rm -f "$APTDIR/pycriu"/python3-pycriu_*.deb
  (cd "$APTDIR/pycriu" && apt-get -q "${APT_OPTS[@]}" download python3-pycriu) \
    >"$APTDIR/pycriu.log" 2>&1 ||
    die "apt-get download python3-pycriu failed: $(tail -n 5 "$APTDIR/pycriu.log")"
  local deb
  deb="$(find "$APTDIR/pycriu" -maxdepth 1 -name 'python3-pycriu_*.deb' | head -n1)"
  [ -n "$deb" ] || die "no python3-pycriu .deb downloaded (see $APTDIR/pycriu.log)"
  rm -rf "$PYCRIU.new"
  mkdir -p "$PYCRIU.new/bin"
  dpkg -x "$deb" "$PYCRIU.new" || die "dpkg -x $deb failed"
  [ -d "$PYCRIU.new/usr/lib/python3/dist-packages/crit" ] ||
    die "$deb holds no crit package under usr/lib/python3/dist-packages"
  # The system's python3 by absolute path: a python3 earlier on PATH (pyenv, a venv) may lack
  # Debian's protobuf module.
  printf '%s\n' '#!/bin/sh' \
    '# crit from sid'"'"'s python3-pycriu, unpacked by ci/provision_runtimes.sh.' \
    "PYTHONPATH=\"$PYCRIU/usr/lib/python3/dist-packages\${PYTHONPATH:+:\$PYTHONPATH}\" exec /usr/bin/python3 -m crit \"\$@\"" \
    >"$PYCRIU.new/bin/crit"
  chmod 0755 "$PYCRIU.new/bin/crit"
  rm -rf "$PYCRIU"
  mv "$PYCRIU.new" "$PYCRIU"
  note "$CRIT"
}

if [ "${CRH_REFETCH:-0}" = 1 ] || [ -z "$(crit_version "$CRIT")" ]; then
  /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null ||
    die "/usr/bin/python3 has no protobuf module (ci/setup.sh installs python3-protobuf)"
  fetch_crit
else
  step "crit present at $CRIT"
fi

# --- 3. versions ---------------------------------------------------------------------------------
step "checking versions"
v_criu="$(criu_version "$CRIU_DIR/criu")"
v_runc="$(runc_version "$RT_DIR/runc")"
v_crun="$(crun_version "$RT_DIR/crun")"
v_sysrunc="$(runc_version "$SYSTEM_RUNC")"
v_crit="$(crit_version "$CRIT")"
[ -n "$v_criu" ] || die "$CRIU_DIR/criu --version does not run: $("$CRIU_DIR/criu" --version 2>&1 | tail -n 3)"
[ -n "$v_runc" ] || die "$RT_DIR/runc --version does not run: $("$RT_DIR/runc" --version 2>&1 | tail -n 3)"
[ -n "$v_crun" ] || die "$RT_DIR/crun --version does not run: $("$RT_DIR/crun" --version 2>&1 | tail -n 3)"
[ -n "$v_sysrunc" ] || die "$SYSTEM_RUNC --version does not run (is bookworm's runc installed?)"
[ -n "$v_crit" ] || die "$CRIT --version does not run: $("$CRIT" --version 2>&1 | tail -n 3)"
for pair in "criu $v_criu $EXPECT_CRIU" "runc $v_runc $EXPECT_RUNC" "crun $v_crun $EXPECT_CRUN" \
  "crit $v_crit $EXPECT_CRIT"; do
  set -- $pair
  if [ "$2" = "$3" ]; then note "$1 $2"; else note "$1 $2 (expected $3; recording what is there)"; fi
done
note "system runc $v_sysrunc ($SYSTEM_RUNC)"
# crun must have been built with CRIU support, and must find libcriu.so.2 through its rpath.
crun_features="$("$RT_DIR/crun" --version)"
grep -q '+CRIU' <<<"$crun_features" || die "$RT_DIR/crun was built without CRIU support"

# --- 4. host fix for crun on hybrid cgroups ------------------------------------------------------
step "checking the cgroup hybrid-mode fix (hugetlb out of cgroup v2)"
if [ -r /sys/fs/cgroup/unified/cgroup.controllers ] &&
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers; then
  if mountpoint -q /sys/fs/cgroup/hugetlb; then
    note "hugetlb v1 hierarchy already mounted"
  else
    mkdir -p /sys/fs/cgroup/hugetlb
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb ||
      die "mounting the hugetlb v1 hierarchy failed"
    note "mounted hugetlb at /sys/fs/cgroup/hugetlb"
  fi
else
  note "cgroup v2 owns no hugetlb controller (already moved, or not hybrid): nothing to do"
fi

# --- 5. criu check -------------------------------------------------------------------------------
step "criu check"
check_out="$("$CRIU_DIR/criu" check 2>&1)" || true
grep -q 'Looks good.' <<<"$check_out" || die "criu check did not say \"Looks good.\": $(tail -n 5 <<<"$check_out")"
note "Looks good."

# --- 6. manifest ---------------------------------------------------------------------------------
step "writing $MANIFEST"
cat >"$MANIFEST.tmp" <<EOF
{
  "criu": {"path": "$CRIU_DIR/criu", "version": "$v_criu"},
  "crit": {"path": "$CRIT", "version": "$v_crit"},
  "runtimes": [
    {"name": "runc-$v_sysrunc", "path": "$SYSTEM_RUNC", "version": "$v_sysrunc", "criu_flag": true},
    {"name": "runc-$v_runc", "path": "$RT_DIR/runc", "version": "$v_runc", "criu_flag": false},
    {"name": "crun-$v_crun", "path": "$RT_DIR/crun", "version": "$v_crun", "criu_flag": false}
  ],
  "path_prefix": "$CRIU_DIR"
}
EOF
if command -v python3 >/dev/null; then
  python3 -m json.tool "$MANIFEST.tmp" >/dev/null || die "generated manifest is not valid JSON"
fi
if cmp -s "$MANIFEST.tmp" "$MANIFEST"; then rm -f "$MANIFEST.tmp"; else mv -f "$MANIFEST.tmp" "$MANIFEST"; fi
note "runc-$v_sysrunc, runc-$v_runc, crun-$v_crun; criu $v_criu; crit $v_crit"
