#include "src/conformance/workload_checks.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/workloads/catalogue.h"
#include "src/workloads/log_oracle.h"

namespace crh::conformance {

namespace {

namespace fs = std::filesystem;
using workloads::Limitation;
using workloads::Workload;

// runc/crun flag spellings of what the workload needs, on both checkpoint and restore.
std::vector<std::string> Flags(const Workload& w) {
  std::vector<std::string> f;
  if (w.tcp_established) f.push_back("--tcp-established");
  if (w.file_locks) f.push_back("--file-locks");
  return f;
}

#define CONF_WAIT(expr, what)                                                        \
  do {                                                                               \
    ::crh::Status s_ = (expr);                                                       \
    CONF_REQUIRE(s_.ok(), std::string(what) + ": " + s_.message());                 \
  } while (0)

// Creates, starts and waits for the first checks; runs the exec'd process if there is one.
Status Start(CheckContext& c, const Workload& w, const std::string& id, const std::string& bundle,
             const std::string& log) {
  RunResult cr = c.RunWithStdio({"create", "--bundle", bundle, id}, log);
  CONF_REQUIRE(cr.ok(), "create failed: " + cr.Describe());
  RunResult st = c.Run({"start", id});
  CONF_REQUIRE(st.ok(), "start failed: " + st.Describe());
  CONF_WAIT(workloads::WaitForOks(log, 3), "the workload's first checks");
  if (!w.exec_args.empty()) {
    std::vector<std::string> args = {"exec", "--detach", id};
    args.insert(args.end(), w.exec_args.begin(), w.exec_args.end());
    // Its stdio: pipes into a log of its own, as crh exec -d gives it (the helper closes them).
    RunResult ex = c.RunWithStdio(args, c.dir() + "/exec.log");
    CONF_REQUIRE(ex.ok(), "exec --detach failed: " + ex.Describe());
    CONF_WAIT(workloads::WaitForNote(log, "note exec joined"), "the exec'd process");
    const size_t oks = workloads::ReadLog(log).oks.size();
    CONF_WAIT(workloads::WaitForOks(log, oks + 3), "after exec");
  }
  return Status::Ok();
}

Status RoundTrips(CheckContext& c, const Workload& w, const std::string& helper) {
  const std::string bundle = c.dir() + "/bundle";
  const std::string scratch = c.dir() + "/scratch";
  std::error_code ec;
  fs::create_directories(scratch, ec);
  Status prep = workloads::PrepareBundle(w, {.bundle_dir = bundle, .scratch_dir = scratch}, helper);
  CONF_REQUIRE(prep.ok(), "preparing the bundle: " + prep.ToString());
  const std::string id = c.NewId();
  const std::string log = c.dir() + "/ctr.log";
  CRH_RETURN_IF_ERROR(Start(c, w, id, bundle, log));

  const Limitation* lim = w.LimitationOn(c.runtime().name, /*alone=*/true);
  const auto flags = Flags(w);
  for (int cycle = 1; cycle <= 2; ++cycle) {
    const std::string img = c.dir() + "/img" + std::to_string(cycle);
    const std::string round = " (round " + std::to_string(cycle) + ")";
    RunResult cp = c.Checkpoint(id, img, flags);
    if (lim && !lim->by_crh && lim->kind == Limitation::Kind::kDumpRefused) {
      CONF_REQUIRE(!cp.ok(), "the pinned refusal (" + lim->signature + ") did not show: is it "
                             "fixed?");
      const std::string said = cp.output + ReadFile(img + "/dump.log");
      CONF_REQUIRE(said.find(lim->signature) != std::string::npos,
                   "the dump failed, but not with \"" + lim->signature + "\": " + cp.Describe());
      CONF_REQUIRE(c.StatusOf(id) == "running", "after the refused dump the container is " +
                                                    c.StatusOf(id) + ", expected running");
      const size_t oks = workloads::ReadLog(log).oks.size();
      CONF_WAIT(workloads::WaitForOks(log, oks + 3), "after the refused dump");
      return Status::Ok();
    }
    CONF_REQUIRE(cp.ok(), "checkpoint" + round + " failed: " + cp.Describe());
    const size_t before = workloads::ReadLog(log).oks.size();
    RunResult rs = c.Restore(id, bundle, img, flags, log);
    if (lim && lim->kind == Limitation::Kind::kRestoreFails) {
      CONF_REQUIRE(!rs.ok(), "the pinned restore failure (" + lim->signature +
                                 ") did not show: is it fixed?");
      const std::string said = rs.output + ReadFile(img + "/restore.log");
      CONF_REQUIRE(said.find(lim->signature) != std::string::npos,
                   "the restore failed, but not with \"" + lim->signature + "\": " + rs.Describe());
      CONF_REQUIRE(Exists(img + "/inventory.img"), "the failed restore lost the images");
      return Status::Ok();
    }
    CONF_REQUIRE(rs.ok(), "restore" + round + " failed: " + rs.Describe());
    if (lim) {
      const std::string sig = lim->by_crh ? lim->alone_signature : lim->signature;
      Status lost = workloads::WaitForFail(log, sig);
      CONF_REQUIRE(lost.ok(), "the pinned loss (\"" + sig + "\") did not show: is it fixed? " +
                                  lost.message());
      return Status::Ok();
    }
    CONF_WAIT(workloads::WaitForOks(log, before + 3), "after restore" + round);
  }
  const std::string problems = workloads::Problems(workloads::ReadLog(log));
  CONF_REQUIRE(problems.empty(), problems);
  return Status::Ok();
}

std::string Pinned(const Limitation& l) {
  if (l.by_crh) {
    return "the runtime alone loses it: checkpoint and restore succeed and the workload then "
           "reports \"" + l.alone_signature + "...\" (crh refuses that checkpoint instead)";
  }
  switch (l.kind) {
    case Limitation::Kind::kDumpRefused:
      return "checkpoint refused with \"" + l.signature + "\"; the container runs on";
    case Limitation::Kind::kStateLost:
      return "after restore the workload reports \"" + l.signature + "\"";
    case Limitation::Kind::kRestoreFails:
      return "restore fails with \"" + l.signature + "\"; the images stay";
  }
  return "";
}

std::string Expectation(const Workload& w) {
  std::string out;
  bool everywhere = false;
  for (const auto& l : w.limitations) {
    std::string who;
    for (const auto& r : l.runtimes) who += (who.empty() ? "" : ", ") + r;
    everywhere |= l.runtimes.empty();
    out += "pinned" + (who.empty() ? std::string() : " on " + who) + ": " + Pinned(l) + ". ";
  }
  if (everywhere) return out;
  return out + (out.empty() ? "" : "Elsewhere: ") + "two checkpoint/restore rounds" +
         (w.NeedsFlags() ? " with " : "") + (w.tcp_established ? "--tcp-established " : "") +
         (w.file_locks ? "--file-locks " : "") +
         "; the workload's own checks go on unbroken: " + w.verifies;
}

}  // namespace

std::string WorkloadHelperPath() {
  if (const char* env = std::getenv("CRH_WORKLOAD_HELPER"); env && *env) return env;
  std::vector<fs::path> candidates = {fs::absolute("src/workloads/crh-workload")};
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(self.parent_path().parent_path() / "workloads" / "crh-workload");
    candidates.push_back(fs::path(self.string() + ".runfiles") / "crh" / "src" / "workloads" /
                         "crh-workload");
  }
  for (const auto& p : candidates) {
    if (fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

void AddWorkloadChecks(std::vector<Check>& checks) {
  for (const Workload& w : workloads::Catalogue()) {
    Check c;
    c.id = "workload." + w.name;
    c.title = "workload " + w.name + ": " + w.state;
    c.expect = Expectation(w);
    c.why = "the workload catalogue (docs/workloads.md): state users' containers hold";
    for (const auto& l : w.limitations) c.why += "; " + l.why;
    const std::string gap = w.conformance_gap;
    c.gate = [gap](CheckContext&) -> std::string {
      if (!gap.empty()) return gap;
      if (WorkloadHelperPath().empty()) {
        return "the workload helper crh-workload is not built: bazel build "
               "//src/workloads:crh-workload (or set CRH_WORKLOAD_HELPER)";
      }
      return "";
    };
    const std::string name = w.name;
    c.body = [name](CheckContext& ctx) -> Status {
      return RoundTrips(ctx, *workloads::FindWorkload(name), WorkloadHelperPath());
    };
    checks.push_back(std::move(c));
  }
}

}  // namespace crh::conformance
