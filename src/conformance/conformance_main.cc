#include "src/conformance/conformance_main.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "src/conformance/report.h"
#include "src/conformance/runner.h"
#include "src/scenario/replay.h"

namespace crh::conformance {

namespace {

namespace fs = std::filesystem;

bool WriteFile(const std::string& path, const std::string& text) {
  std::error_code ec;
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path(), ec);
  std::ofstream out(path);
  out << text;
  if (!out) {
    std::cerr << "cannot write " << path << "\n";
    return false;
  }
  return true;
}

// Tees TAP to stdout and, when asked, to a file.
class TeeBuf : public std::streambuf {
 public:
  TeeBuf(std::streambuf* a, std::streambuf* b) : a_(a), b_(b) {}

 protected:
  int overflow(int c) override {
    if (c == EOF) return !EOF;
    if (a_->sputc(static_cast<char>(c)) == EOF) return EOF;
    if (b_ && b_->sputc(static_cast<char>(c)) == EOF) return EOF;
    return c;
  }
  int sync() override {
    int r = a_->pubsync();
    if (b_) b_->pubsync();
    return r;
  }

 private:
  std::streambuf* a_;
  std::streambuf* b_;
};

std::string FileSafe(std::string s) {
  for (char& c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  return s;
}

}  // namespace

int ConformanceMain(int argc, char** argv) {
  CLI::App app{"Runs the checkpoint/restore conformance suite against a runc-compatible runtime",
               "conformance"};
  std::string runtime, criu, name, report_dir, json_out, junit_out;
  std::vector<std::string> only;
  bool list = false;
  app.add_option("--runtime", runtime, "manifest name (runc-1.3.6) or path of the runtime");
  app.add_option("--criu", criu, "CRIU binary (default: the toolchain manifest's)");
  app.add_option("--name", name, "name for the reports (default: the manifest name or basename)");
  app.add_option("--only", only, "check IDs, or prefixes ending in '.' or '-'")->expected(1, -1);
  app.add_option("--report-dir", report_dir, "write NAME.json, NAME.junit.xml and NAME.tap here");
  app.add_option("--json", json_out, "write the JSON report here");
  app.add_option("--junit", junit_out, "write JUnit XML here");
  app.add_flag("--list", list, "list the checks and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (list) {
    for (const auto& c : AllChecks()) {
      std::cout << c.id << "\t" << c.title << "\n";
    }
    return 0;
  }
  if (runtime.empty()) {
    std::cerr << "conformance: --runtime is required\n";
    return 2;
  }
  auto rt = ResolveRuntime(runtime, criu, name);
  if (!rt.ok()) {
    std::cerr << "conformance: " << rt.status().ToString() << "\n";
    return 2;
  }
  // A misspelled --only would run nothing and report success: refuse it instead.
  for (const auto& o : only) {
    bool known = false;
    for (const auto& c : AllChecks()) {
      known = known || c.id == o ||
              (!o.empty() && (o.back() == '.' || o.back() == '-') && c.id.rfind(o, 0) == 0);
    }
    if (!known) {
      std::cerr << "crh conformance: --only " << o
                << ": no check has that ID (or, ending in '.' or '-', that prefix); "
                   "`crh conformance --runtime NAME --list` lists them\n";
      return 2;
    }
  }
  std::ofstream tap_file;
  if (!report_dir.empty()) {
    fs::create_directories(report_dir);
    tap_file.open(report_dir + "/" + FileSafe(rt->name) + ".tap");
  }
  TeeBuf tee(std::cout.rdbuf(), tap_file.is_open() ? tap_file.rdbuf() : nullptr);
  std::ostream tap(&tee);
  SuiteReport report = RunSuite(*rt, AllChecks(), {.only = only, .tap = &tap});
  tap << "# " << report.Count(Outcome::kPass) << " pass, " << report.Count(Outcome::kFail)
      << " fail, " << report.Count(Outcome::kSkip) << " skip in " << report.seconds << " s\n";
  tap.flush();
  bool ok = true;
  if (!report_dir.empty()) {
    std::string base = report_dir + "/" + FileSafe(rt->name);
    ok &= WriteFile(base + ".json", ToJson(report));
    ok &= WriteFile(base + ".junit.xml", ToJUnit({report}));
  }
  if (!json_out.empty()) ok &= WriteFile(json_out, ToJson(report));
  if (!junit_out.empty()) ok &= WriteFile(junit_out, ToJUnit({report}));
  if (!ok) return 2;
  return report.Count(Outcome::kFail) == 0 ? 0 : 1;
}

int ConformanceReportMain(int argc, char** argv) {
  CLI::App app{"Renders the conformance matrix across runtimes", "conformance-report"};
  std::vector<std::string> inputs;
  std::string html, markdown;
  app.add_option("reports", inputs, "JSON reports of `crh conformance`")->required();
  app.add_option("--html", html, "write the HTML matrix here");
  app.add_option("--markdown", markdown, "write the Markdown matrix here");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::vector<SuiteReport> reports;
  for (const auto& path : inputs) {
    auto r = LoadReport(path);
    if (!r.ok()) {
      std::cerr << "conformance-report: " << r.status().ToString() << "\n";
      return 2;
    }
    reports.push_back(*r);
  }
  if (!html.empty() && !WriteFile(html, MatrixHtml(reports))) return 2;
  if (!markdown.empty() && !WriteFile(markdown, MatrixMarkdown(reports))) return 2;
  if (html.empty() && markdown.empty()) std::cout << MatrixMarkdown(reports);
  return 0;
}

int GateMain(int argc, char** argv) {
  CLI::App app{"Fails when a candidate runtime regresses against a conformance baseline", "gate"};
  std::string baseline, candidate, candidate_runtime, criu, junit, candidate_json, name;
  std::vector<std::string> only;
  app.add_option("--baseline", baseline, "baseline JSON report")->required();
  auto* c1 = app.add_option("--candidate", candidate, "candidate JSON report");
  auto* c2 = app.add_option("--candidate-runtime", candidate_runtime,
                            "run the suite against this runtime (name or path) first");
  c1->excludes(c2);
  app.add_option("--criu", criu, "CRIU for --candidate-runtime");
  app.add_option("--name", name, "report name for --candidate-runtime");
  app.add_option("--only", only, "with --candidate-runtime: run only these checks")
      ->expected(1, -1);
  app.add_option("--junit", junit, "write the gate's JUnit XML here");
  app.add_option("--candidate-json", candidate_json,
                 "with --candidate-runtime: keep the candidate's JSON report here");
  std::vector<std::string> scenarios;
  app.add_option("--scenarios", scenarios,
                 "with --candidate-runtime: also replay these scenario files or folders on it "
                 "(the real-capable ones); any failure fails the gate")
      ->expected(1, -1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto base = LoadReport(baseline);
  if (!base.ok()) {
    std::cerr << "gate: " << base.status().ToString() << "\n";
    return 2;
  }
  SuiteReport cand;
  if (!candidate.empty()) {
    auto r = LoadReport(candidate);
    if (!r.ok()) {
      std::cerr << "gate: " << r.status().ToString() << "\n";
      return 2;
    }
    cand = *r;
  } else if (!candidate_runtime.empty()) {
    auto rt = ResolveRuntime(candidate_runtime, criu, name);
    if (!rt.ok()) {
      std::cerr << "gate: " << rt.status().ToString() << "\n";
      return 2;
    }
    // TAP goes to stderr so that stdout is the diff table.
    cand = RunSuite(*rt, AllChecks(), {.only = only, .tap = &std::cerr});
    if (!candidate_json.empty() && !WriteFile(candidate_json, ToJson(cand))) return 2;
    if (!only.empty()) {
      // Gate only what was run: a check left out on purpose is not a regression.
      SuiteReport narrowed = *base;
      narrowed.results.clear();
      for (const auto& b : base->results) {
        for (const auto& c : cand.results) {
          if (c.id == b.id) narrowed.results.push_back(b);
        }
      }
      *base = narrowed;
    }
  } else {
    std::cerr << "gate: give --candidate or --candidate-runtime\n";
    return 2;
  }
  GateDiff d = Diff(*base, cand);
  std::cout << DiffTable(d, *base, cand);
  if (!junit.empty() && !WriteFile(junit, GateJUnit(d, cand))) return 2;
  int scenario_rc = 0;
  if (!scenarios.empty()) {
    if (candidate_runtime.empty()) {
      std::cerr << "gate: --scenarios needs --candidate-runtime (they run on the runtime)\n";
      return 2;
    }
    auto rt = ResolveRuntime(candidate_runtime, criu, name);
    if (!rt.ok()) {
      std::cerr << "gate: " << rt.status().ToString() << "\n";
      return 2;
    }
    // The engine finds runtimes through a toolchain manifest: give it one that lists the
    // candidate, whatever its path.
    char tmpl[] = "/tmp/crh-gate-XXXXXX";
    if (!mkdtemp(tmpl)) return 2;
    const std::string manifest = std::string(tmpl) + "/toolchain.json";
    nlohmann::json m{{"criu", {{"path", rt->criu_path}, {"version", rt->criu_version}}},
                     {"runtimes",
                      {{{"name", "candidate"},
                        {"path", rt->binary},
                        {"version", rt->version},
                        {"criu_flag", rt->criu_flag}}}},
                     {"path_prefix", fs::path(rt->criu_path).parent_path().string()}};
    if (!WriteFile(manifest, m.dump(2))) return 2;
    std::cout << "\nscenario corpus on the candidate:\n";
    scenario_rc = RunReplay({.paths = scenarios,
                             .backend = "real",
                             .runtime = "candidate",
                             .toolchain = manifest},
                            std::cout, std::cerr);
    std::error_code ec;
    fs::remove_all(tmpl, ec);
    if (scenario_rc != 0) std::cout << "gate: the scenario corpus fails on the candidate\n";
  }
  if (scenario_rc == 2) return 2;
  return d.ok() && scenario_rc == 0 ? 0 : 1;
}

}  // namespace crh::conformance
