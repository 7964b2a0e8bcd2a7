#pragma once
// `crh replay PATH...`: runs scenario files (or every *.json under a folder, recursively, in
// sorted order) on the fake backend, or on a real runtime with `--backend real --runtime NAME`.
// Prints one line per scenario ("pass  scenarios/corpus/x.json  (12 steps, 0.004 s)") and a
// summary; writes JUnit XML and/or a JSON report if asked.
//
// Promises:
//  - Every scenario runs, whatever happened to the others: a malformed file is reported with
//    its path, the JSON path of the bad field and what was expected, and counts as a failure.
//  - On the real backend every scenario gets its own state root under `root` and every
//    container it defined is removed (force) at the end, pass or fail. A scenario that needs
//    the fakes (fake-only steps, faults, leak checks) or is not marked for "real" is skipped,
//    saying why ("skipped: needs the fake backend (step 3 uses tick)").
//  - Returns 0 if nothing failed (skips are not failures), 1 if a scenario failed, crashed or
//    was malformed, 2 for bad options (no paths, unknown backend, unreadable path).
//
// Example:
//   ReplayOptions o{.paths = {"scenarios/corpus"}, .junit = "replay.xml"};
//   return RunReplay(o, std::cout, std::cerr);

#include <ostream>
#include <string>
#include <vector>

#include "src/scenario/runner.h"

namespace crh {

struct ReplayOptions {
  std::vector<std::string> paths;  // files or folders
  std::string backend = "fake";    // "fake" or "real"
  std::string runtime;             // real backend: manifest name or binary path
  std::string junit;               // JUnit XML report path, or ""
  std::string json;                // JSON report path, or ""
  std::string root;  // state root for the real backend; default a fresh temp dir
  std::string toolchain;  // real backend: manifest path; empty: CRH_TOOLCHAIN or the default
};

int RunReplay(const ReplayOptions& opts, std::ostream& out, std::ostream& err);

// The files RunReplay would run for `paths`, sorted within each folder; kNotFound for a path
// that does not exist.
Result<std::vector<std::string>> CollectScenarioFiles(const std::vector<std::string>& paths);

// The reports, for tests and other front ends.
std::string JunitXml(const std::vector<ScenarioResult>& results, const std::string& suite);
std::string JsonReport(const std::vector<ScenarioResult>& results);

}  // namespace crh
