#!/bin/bash
# CI gate for a candidate runtime: runs the conformance suite against CANDIDATE (a path to a
# runc-compatible binary, or a manifest name) and fails when a check that passed in the committed
# baseline of BASELINE_RUNTIME fails, newly skips or is missing, or when a real-capable scenario
# of the corpus (scenarios/) fails on the candidate. Writes the candidate's JSON
# report, the gate's JUnit and the diff table into REPORT_DIR. Needs root (sudo ci/setup.sh
# first).
#
#   sudo ci/gate.sh CANDIDATE [BASELINE_RUNTIME] [REPORT_DIR]
#   sudo ci/gate.sh ./runc-candidate runc-1.3.6 reports/
#
# Exit status: 0 no regression, 1 regressions (the table says which), 2 setup errors.
set -uo pipefail
cd "$(dirname "$0")/.."
candidate="${1:?usage: ci/gate.sh CANDIDATE [BASELINE_RUNTIME] [REPORT_DIR]}"
baseline_runtime="${2:-runc-1.3.6}"
report_dir="${3:-gate-reports}"
baseline="conformance/baseline/${baseline_runtime}.json"
if [ ! -f "$baseline" ]; then
  echo "ci/gate.sh: no baseline $baseline (run sudo ci/conformance-matrix.sh)" >&2
  exit 2
fi
bazel build //src/cli:crh || exit 2
bin="$(bazel info bazel-bin 2>/dev/null)/src/cli/crh"
mkdir -p "$report_dir"
"$bin" gate --baseline "$baseline" --candidate-runtime "$candidate" \
  --candidate-json "$report_dir/candidate.json" --junit "$report_dir/gate.junit.xml" \
  --scenarios scenarios \
  2> "$report_dir/candidate.tap" | tee "$report_dir/gate.txt"
rc=${PIPESTATUS[0]}
"$bin" conformance-report "$baseline" "$report_dir/candidate.json" \
  --markdown "$report_dir/matrix.md" --html "$report_dir/matrix.html" || true
exit "$rc"
