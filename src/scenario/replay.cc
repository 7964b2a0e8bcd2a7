#include "src/scenario/replay.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "src/fs/posix_filesystem.h"
#include "src/net/cni_network.h"
#include "src/oci/bundle.h"
#include "src/wiring/wiring.h"

namespace crh {

namespace {

namespace fs = std::filesystem;

// The real backend: an engine from MakeRealEngine over a root of the scenario's own.
class RealScenarioWorld : public ScenarioWorld {
 public:
  RealScenarioWorld(std::string root, std::string runtime, std::string toolchain)
      : root_(std::move(root)), runtime_(std::move(runtime)), toolchain_(std::move(toolchain)) {}

  Status Init() {
    CRH_ASSIGN_OR_RETURN(engine_, Make());
    return Status::Ok();
  }

  std::string Backend() const override { return "real"; }
  Engine& engine() override { return *engine_; }
  Status Restart() override {
    CRH_ASSIGN_OR_RETURN(engine_, Make());
    return Status::Ok();
  }
  Result<std::unique_ptr<Engine>> Fresh() override { return Make(); }
  Result<std::string> Bundle(const ContainerSpec& spec) override {
    const std::string dir = root_ + "/bundles/" + spec.name;
    if (!fs::exists(dir + "/config.json")) {
      CRH_RETURN_IF_ERROR(MakeBusyboxBundle(dir, spec.command, {.hostname = spec.name}));
    }
    return dir;
  }
  std::vector<std::string> Files(const std::string& id) override {
    std::vector<std::string> out;
    const fs::path dir = engine_->ContainerDir(id);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) out.push_back(fs::relative(it->path(), dir, ec).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Removes (force) every container the scenario declared, then the replay bridge; the first
  // error is returned.
  Status CleanUp(const Scenario& s) {
    Status first;
    for (const auto& c : s.containers) {
      Status r = engine_->Remove(c.name, /*force=*/true);
      if (!r.ok() && r.code() != Code::kNotFound && first.ok()) first = r;
    }
    CniNetwork net({.conflist = Conflist(), .state_dir = root_});
    Status b = net.Init();
    if (b.ok()) b = net.DeleteBridges();
    if (!b.ok() && first.ok()) first = b;
    return first;
  }

 private:
  // Replays get a bridge and subnet of their own, never crh's default network, and the IPAM
  // state lives in the scenario's root.
  std::string Conflist() const {
    return BridgeConflist({.name = "crhreplay",
                           .bridge = "crhrpl0",
                           .subnet = "10.83.0.0/24",
                           .data_dir = root_ + "/cni"});
  }
  Result<std::unique_ptr<Engine>> Make() {
    return MakeRealEngine(
        {.root = root_, .runtime = runtime_, .network = Conflist(), .toolchain = toolchain_});
  }
  std::string root_;
  std::string runtime_;
  std::string toolchain_;
  std::unique_ptr<Engine> engine_;
};

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

bool IsFailure(ScenarioResult::Outcome o) {
  return o == ScenarioResult::Outcome::kFail || o == ScenarioResult::Outcome::kCrashed ||
         o == ScenarioResult::Outcome::kMalformed;
}

Result<std::string> MakeTempRoot() {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) return Unavailable("no temporary directory: " + ec.message());
  std::string tmpl = (base / "crh-replay-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return Unavailable("cannot create a directory under " + base.string());
  return tmpl;
}

}  // namespace

Result<std::vector<std::string>> CollectScenarioFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".json" &&
            it->path().filename().string().find(".schema.") == std::string::npos) {
          found.push_back(it->path().string());
        }
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      return NotFound(p + ": no such file or folder");
    }
  }
  return out;
}

std::string JunitXml(const std::vector<ScenarioResult>& results, const std::string& suite) {
  int failures = 0, errors = 0, skipped = 0;
  double total = 0;
  for (const auto& r : results) {
    failures += r.outcome == ScenarioResult::Outcome::kFail;
    errors += r.outcome == ScenarioResult::Outcome::kCrashed ||
              r.outcome == ScenarioResult::Outcome::kMalformed;
    skipped += r.outcome == ScenarioResult::Outcome::kSkipped;
    total += r.seconds;
  }
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuites tests=\"" << results.size() << "\" failures=\"" << failures
    << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\" time=\"" << std::fixed
    << std::setprecision(3) << total << "\">\n"
    << "  <testsuite name=\"" << XmlEscape(suite) << "\" tests=\"" << results.size()
    << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" skipped=\"" << skipped
    << "\" time=\"" << total << "\">\n";
  for (const auto& r : results) {
    x << "    <testcase classname=\"" << XmlEscape(suite) << "\" name=\"" << XmlEscape(r.name)
      << "\" file=\"" << XmlEscape(r.file) << "\" time=\"" << r.seconds << "\">\n";
    std::string body = r.message;
    for (const auto& d : r.details) body += "\n" + d;
    switch (r.outcome) {
      case ScenarioResult::Outcome::kPass: break;
      case ScenarioResult::Outcome::kSkipped:
        x << "      <skipped message=\"" << XmlEscape(r.message) << "\"/>\n";
        break;
      case ScenarioResult::Outcome::kFail:
        x << "      <failure message=\"" << XmlEscape(r.message) << "\">" << XmlEscape(body)
          << "\nreplay: crh replay " << XmlEscape(r.file) << "</failure>\n";
        break;
      default:
        x << "      <error type=\"" << OutcomeName(r.outcome) << "\" message=\""
          << XmlEscape(r.message) << "\">" << XmlEscape(body) << "</error>\n";
        break;
    }
    x << "    </testcase>\n";
  }
  x << "  </testsuite>\n</testsuites>\n";
  return x.str();
}

std::string JsonReport(const std::vector<ScenarioResult>& results) {
  nlohmann::ordered_json j;
  int pass = 0, fail = 0, skipped = 0;
  j["scenarios"] = nlohmann::ordered_json::array();
  for (const auto& r : results) {
    pass += r.outcome == ScenarioResult::Outcome::kPass;
    skipped += r.outcome == ScenarioResult::Outcome::kSkipped;
    fail += IsFailure(r.outcome);
    j["scenarios"].push_back({{"file", r.file},
                              {"name", r.name},
                              {"outcome", std::string(OutcomeName(r.outcome))},
                              {"message", r.message},
                              {"details", r.details},
                              {"steps_run", r.steps_run},
                              {"seconds", r.seconds}});
  }
  j["summary"] = {{"total", results.size()}, {"pass", pass}, {"fail", fail},
                  {"skipped", skipped}};
  return j.dump(2) + "\n";
}

int RunReplay(const ReplayOptions& opts, std::ostream& out, std::ostream& err) {
  if (opts.paths.empty()) {
    err << "crh replay: give scenario files or folders\n";
    return 2;
  }
  if (opts.backend != "fake" && opts.backend != "real") {
    err << "crh replay: --backend must be fake or real, not \"" << opts.backend << "\"\n";
    return 2;
  }
  auto files = CollectScenarioFiles(opts.paths);
  if (!files.ok()) {
    err << "crh replay: " << files.status().message() << "\n";
    return 2;
  }
  std::string root = opts.root;
  if (opts.backend == "real" && root.empty()) {
    auto tmp = MakeTempRoot();
    if (!tmp.ok()) {
      err << "crh replay: " << tmp.status().message() << "\n";
      return 2;
    }
    root = *tmp;
  }
  std::vector<ScenarioResult> results;
  for (const auto& file : *files) {
    ScenarioResult res;
    auto text = ReadFile(file);
    auto parsed = text.ok() ? ParseScenario(*text, file) : Result<Scenario>(text.status());
    if (!parsed.ok()) {
      res.outcome = ScenarioResult::Outcome::kMalformed;
      res.name = file;
      res.message = parsed.status().message();
    } else if (opts.backend == "fake") {
      auto w = MakeFakeScenarioWorld(*parsed);
      res = RunScenario(*w, *parsed);
    } else {
      const std::string sroot = root + "/" + ContentHash(file) + "-" + parsed->name;
      RealScenarioWorld w(sroot, opts.runtime, opts.toolchain);
      if (Status s = w.Init(); !s.ok()) {
        res.outcome = ScenarioResult::Outcome::kCrashed;
        res.name = parsed->name;
        res.message = "cannot start the real backend: " + s.ToString();
      } else {
        res = RunScenario(w, *parsed);
        if (res.outcome != ScenarioResult::Outcome::kSkipped) {
          if (Status c = w.CleanUp(*parsed); !c.ok()) {
            res.details.push_back("cleanup failed: " + c.ToString());
            if (res.outcome == ScenarioResult::Outcome::kPass) {
              res.outcome = ScenarioResult::Outcome::kFail;
              res.message = "cleanup (remove --force of every container) failed: " + c.ToString();
            }
          }
        }
      }
    }
    res.file = file;
    out << std::left << std::setw(9) << OutcomeName(res.outcome) << " " << file;
    if (res.outcome == ScenarioResult::Outcome::kPass) {
      out << "  (" << res.steps_run << " steps, " << std::fixed << std::setprecision(3)
          << res.seconds << " s)\n";
    } else {
      out << "\n          " << res.message << "\n";
      for (size_t i = 1; i < res.details.size(); ++i) out << "          " << res.details[i] << "\n";
    }
    results.push_back(std::move(res));
  }
  int pass = 0, fail = 0, skipped = 0;
  for (const auto& r : results) {
    pass += r.outcome == ScenarioResult::Outcome::kPass;
    skipped += r.outcome == ScenarioResult::Outcome::kSkipped;
    fail += IsFailure(r.outcome);
  }
  if (opts.backend == "real" && opts.root.empty()) {
    // A temporary root is ours: gone when everything passed, kept (and named) to look into when
    // something did not. PosixFilesystem refuses to delete through a leftover mount.
    if (fail == 0) {
      if (Status r = PosixFilesystem().RemoveAll(root); !r.ok()) {
        err << "crh replay: could not remove " << root << ": " << r.message() << "\n";
      }
    } else {
      out << "state of the failed run kept in " << root << "\n";
    }
  }
  out << "replayed " << results.size() << " scenario(s) on the " << opts.backend << " backend"
      << (opts.runtime.empty() ? "" : " (" + opts.runtime + ")") << ": " << pass << " passed, "
      << fail << " failed, " << skipped << " skipped\n";
  const std::string suite = "crh.replay." + opts.backend +
                            (opts.runtime.empty() ? "" : "." + opts.runtime);
  if (!opts.junit.empty()) {
    std::ofstream f(opts.junit);
    f << JunitXml(results, suite);
    if (!f) err << "crh replay: cannot write " << opts.junit << "\n";
  }
  if (!opts.json.empty()) {
    std::ofstream f(opts.json);
    f << JsonReport(results);
    if (!f) err << "crh replay: cannot write " << opts.json << "\n";
  }
  return fail > 0 ? 1 : 0;
}

}  // namespace crh
