#!/bin/bash
# Regenerates the committed conformance results: runs `crh conformance` against every runtime in
# the toolchain manifest (/opt/crh/toolchain.json, written by `sudo ci/setup.sh`), stores each
# JSON report as conformance/baseline/<runtime>.json (the baseline that `crh gate` and the
# //src/conformance:conformance_test compare against), and renders docs/conformance-matrix.md
# and docs/conformance-matrix.html. Needs root. About 2 minutes per runtime.
#
#   sudo ci/conformance-matrix.sh            # all runtimes of the manifest
#   sudo ci/conformance-matrix.sh crun-1.28  # only some (the matrix still uses every baseline)
set -euo pipefail
cd "$(dirname "$0")/.."
manifest="${CRH_TOOLCHAIN:-/opt/crh/toolchain.json}"
bazel build //src/conformance:crh-conformance
bin="$(bazel info bazel-bin 2>/dev/null)/src/conformance/crh-conformance"
runtimes=("$@")
if [ ${#runtimes[@]} -eq 0 ]; then
  mapfile -t runtimes < <(jq -r '.runtimes[].name' "$manifest")
fi
out=conformance/baseline
mkdir -p "$out"
for rt in "${runtimes[@]}"; do
  echo "== $rt" >&2
  # A failing check is a finding, not an error of this script.
  "$bin" conformance --runtime "$rt" --json "$out/$rt.json" > "/tmp/crh-conformance-$rt.tap" || true
  tail -n 1 "/tmp/crh-conformance-$rt.tap" >&2
done
reports=()
for rt in $(jq -r '.runtimes[].name' "$manifest"); do
  [ -f "$out/$rt.json" ] && reports+=("$out/$rt.json")
done
"$bin" conformance-report "${reports[@]}" \
  --markdown docs/conformance-matrix.md --html docs/conformance-matrix.html
echo "wrote docs/conformance-matrix.md and docs/conformance-matrix.html" >&2
