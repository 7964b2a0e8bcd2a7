#pragma once
// Conformance results and their renderings: the JSON report (the format baselines are kept in),
// TAP (as the OCI runtime-tools validation suite prints it), JUnit XML, the cross-runtime matrix
// (Markdown with footnotes, HTML with the reason on hover) and the gate's diff of a candidate
// against a baseline.
//
// JSON report format ("crh-conformance/1"):
//   {"format": "crh-conformance/1",
//    "runtime": {"name": "runc-1.3.6", "path": "...", "version": "1.3.6"},
//    "criu": {"path": "/opt/crh/bin/criu", "version": "4.2.1"},
//    "seconds": 81.2, "summary": {"pass": 40, "fail": 2, "skip": 3},
//    "checks": [{"id": "restore.same-id", "title": "...", "expect": "...", "why": "...",
//                "result": "pass|fail|skip", "reason": "...", "seconds": 1.2, "log": "..."}]}
// `log` is kept only for failures.

#include <ostream>
#include <string>
#include <vector>

#include "src/base/status.h"

namespace crh::conformance {

enum class Outcome { kPass, kFail, kSkip };
std::string_view OutcomeName(Outcome o);  // "pass", "fail", "skip"

struct CheckResult {
  std::string id;
  std::string title;
  std::string expect;
  std::string why;
  Outcome outcome = Outcome::kFail;
  std::string reason;  // why it failed or was skipped; "" for a pass
  double seconds = 0;
  std::string log;     // runtime transcript and CRIU log excerpt (failures only)
};

struct SuiteReport {
  std::string runtime_name, runtime_path, runtime_version;
  std::string criu_path, criu_version;
  double seconds = 0;
  std::vector<CheckResult> results;

  int Count(Outcome o) const;
  // "runc-1.3.6" (or name plus " (version)" when the name does not carry it).
  std::string Column() const;
};

std::string ToJson(const SuiteReport& r);
// kInvalidArgument naming `origin` and the bad field.
Result<SuiteReport> ParseReport(const std::string& text, const std::string& origin);
Result<SuiteReport> LoadReport(const std::string& path);

// TAP version 13. Streaming: TapHeader first, then TapLine per result as it finishes, with a
// YAML block for failures (expectation, reason, log) and `# SKIP reason` for skips.
void TapHeader(std::ostream& out, const std::string& runtime, size_t planned);
void TapLine(std::ostream& out, size_t number, const CheckResult& r);

// One <testsuite> per report; failures carry the reason and log, skips their reason.
std::string ToJUnit(const std::vector<SuiteReport>& reports);

// The matrix: rows are checks (in the order of the first report that has them), columns the
// reports' runtimes. Markdown cells are "pass" / "**FAIL** [n]" / "skip [n]" with reasons in
// numbered footnotes; HTML cells carry the reason in a title attribute. Both list the checks
// whose outcome differs between runtimes first.
std::string MatrixMarkdown(const std::vector<SuiteReport>& reports);
std::string MatrixHtml(const std::vector<SuiteReport>& reports);

// The gate: a candidate against a baseline, by check ID.
struct GateRow {
  std::string id;
  std::string baseline;   // "pass"/"fail"/"skip"/"absent"
  std::string candidate;
  std::string reason;     // the candidate's reason
};
struct GateDiff {
  std::vector<GateRow> regressions;  // passed in the baseline; fails, skips or is absent now
  std::vector<GateRow> fixes;        // did not pass in the baseline; passes now
  std::vector<GateRow> unchanged;
  std::vector<GateRow> added;        // only in the candidate
  bool ok() const { return regressions.empty(); }
};
// Checks whose outcome is known to vary between runs on the same machine (CRIU 4.2.1's restorer
// sometimes spins on a truncated pages-*.img and sometimes fails): reported, never gated.
bool IsInformational(const std::string& id);
GateDiff Diff(const SuiteReport& baseline, const SuiteReport& candidate);
// A readable table: regressions first (with reasons), then fixes, then a count of unchanged.
std::string DiffTable(const GateDiff& d, const SuiteReport& baseline,
                      const SuiteReport& candidate);
// JUnit for the gate: one testcase per baseline check; regressions are failures.
std::string GateJUnit(const GateDiff& d, const SuiteReport& candidate);

}  // namespace crh::conformance
