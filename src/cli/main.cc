// crh: drives the checkpoint/restore engine the way `podman container checkpoint/restore` does.
// main() wires the real seams (runtime from the toolchain manifest, CNI, POSIX filesystem) into
// the engine; everything else is the engine's business.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "src/conformance/conformance_main.h"
#include "src/engine/engine.h"
#include "src/oci/bundle.h"
#include "src/oci/toolchain.h"
#include "src/scenario/replay.h"
#include "src/wiring/wiring.h"

namespace crh {
namespace {

using json = nlohmann::json;

struct Globals {
  std::string root = "/var/lib/crh";
  std::string runtime;
  std::string network;
  std::string log_level = "warn";
};

using ordered_json = nlohmann::ordered_json;

// One container's figures in podman's --print-stats shape: durations in microseconds under
// "runtime_<verb>_duration" and "crh_<verb>_duration", CRIU's own figures under
// "criu_statistics", or "criu_statistics_error" saying why there are none.
ordered_json StatsJson(const OperationStats& st, const std::string& verb) {
  ordered_json j;
  j["crh_" + verb + "_duration"] = st.crh_duration_us;
  j["runtime_" + verb + "_duration"] = st.runtime_duration_us;
  if (st.criu_error.empty()) {
    ordered_json criu = ordered_json::object();
    for (const auto& [name, value] : st.criu) criu[name] = value;
    j["criu_statistics"] = std::move(criu);
  } else {
    j["criu_statistics_error"] = st.criu_error;
  }
  j["stats_file"] = st.criu_file;
  return j;
}

ordered_json InspectJson(Engine& e, const Container& c) {
  const std::string dir = e.ContainerDir(c.id);
  ordered_json j{{"id", c.id},
         {"name", c.name},
         {"state", StateName(c.state)},
         {"pid", c.pid},
         {"ip", c.Ip()},
         {"runtime", c.runtime},
         {"bundle", c.bundle},
         {"netns", c.netns_path},
         {"checkpointed", c.checkpointed},
         {"restored", c.restored},
         {"checkpoint_complete", e.HasCompleteCheckpoint(c)},
         {"checkpoint_path", e.CheckpointDir(c.id)},
         {"network_status_path", JoinPath(dir, "network.status")},
         {"dump_log", JoinPath(dir, "dump.log")},
         {"restore_log", JoinPath(dir, "restore.log")},
         {"log_path", JoinPath(dir, "ctr.log")},
         {"created_at_ms", c.created_at_ms},
         {"checkpointed_at_ms", c.checkpointed_at_ms},
         {"restored_at_ms", c.restored_at_ms},
         {"checkpoint_left_running", c.checkpoint_left_running}};
  // The last figures, as --print-stats showed them (null before the first).
  j["checkpoint_stats"] = c.checkpoint_stats ? StatsJson(*c.checkpoint_stats, "checkpoint")
                                             : ordered_json();
  j["restore_stats"] = c.restore_stats ? StatsJson(*c.restore_stats, "restore") : ordered_json();
  if (c.pending != PendingOp::kNone) j["pending"] = PendingOpName(c.pending);
  return j;
}

int Fail(const std::string& what, const Status& s) {
  std::cerr << "crh: " << what << ": " << s.ToString() << "\n";
  return 1;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "crh: checkpoint and restore OCI containers with runc/crun, CRIU and CNI\n"
      "  also: crh conformance --runtime NAME|PATH   (a runtime's own checkpoint/restore contract)\n"
      "        crh conformance-report A.json B.json --html out.html --markdown out.md\n"
      "        crh gate --baseline B.json --candidate C.json | --candidate-runtime PATH"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--root", g.root, "state directory")->capture_default_str();
  app.add_option("--runtime", g.runtime,
                 "runtime: a family (runc, crun: its newest version), a manifest name (runc-1.3.6) or a "
                 "path (default: the manifest's first)");
  app.add_option("--network", g.network, "CNI .conflist (default: crh's bridge, 10.87.0.0/16)");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();

  std::string name, bundle, ip;
  std::vector<std::string> names;
  bool keep = false, tcp_established = false, file_locks = false, force = false, as_json = false,
       detach = false, leave_running = false, print_stats = false, allow_stale = false;
  int64_t timeout_s = 10;
  int signal = 15;
  std::vector<std::string> cmd;

  auto* create = app.add_subcommand("create", "define and create a container from a bundle");
  create->add_option("NAME", name)->required();
  create->add_option("--bundle", bundle, "OCI bundle directory")->required();
  create->add_option("--ip", ip, "static IP address");
  auto* run = app.add_subcommand("run", "create and start a container");
  run->add_flag("-d,--detach", detach, "run in the background (the only mode)");
  run->add_option("NAME", name)->required();
  run->add_option("--bundle", bundle, "OCI bundle directory")->required();
  run->add_option("--ip", ip, "static IP address");
  auto* start = app.add_subcommand("start", "start created containers");
  start->add_option("NAME", names)->required();
  auto* stop = app.add_subcommand("stop", "stop containers (SIGTERM, then SIGKILL)");
  stop->add_option("NAME", names)->required();
  stop->add_option("-t,--time", timeout_s, "seconds to wait before SIGKILL")->capture_default_str();
  auto* kill = app.add_subcommand("kill", "send a signal");
  kill->add_option("NAME", names)->required();
  kill->add_option("-s,--signal", signal, "signal number")->capture_default_str();
  auto* pause = app.add_subcommand("pause", "freeze containers");
  pause->add_option("NAME", names)->required();
  auto* unpause = app.add_subcommand("unpause", "thaw containers");
  unpause->add_option("NAME", names)->required();
  auto* checkpoint = app.add_subcommand("checkpoint", "checkpoint running containers");
  checkpoint->add_option("NAME", names)->required();
  checkpoint->add_flag("-k,--keep", keep, "keep dump.log and stats-dump");
  checkpoint->add_flag("--tcp-established", tcp_established, "dump established TCP connections");
  checkpoint->add_flag("--file-locks", file_locks, "dump held file locks");
  checkpoint->add_flag("-R,--leave-running", leave_running,
                       "leave the container running (a later restore of this checkpoint needs "
                       "a stop and --allow-stale)");
  checkpoint->add_flag("--print-stats", print_stats,
                       "print crh's, the runtime's and CRIU's figures as JSON instead of names");
  auto* restore = app.add_subcommand("restore", "restore checkpointed containers");
  restore->add_option("NAME", names)->required();
  restore->add_flag("-k,--keep", keep, "keep the checkpoint images and logs");
  restore->add_flag("--tcp-established", tcp_established, "restore established TCP connections");
  restore->add_flag("--file-locks", file_locks, "restore the file locks the image holds");
  restore->add_flag("--print-stats", print_stats,
                    "print crh's, the runtime's and CRIU's figures as JSON instead of names");
  restore->add_flag("--allow-stale", allow_stale,
                    "restore a checkpoint taken with --leave-running although the container ran "
                    "on after it (the process goes back to that moment)");
  auto* exec = app.add_subcommand(
      "exec", "start a process in a running container: crh exec -d NAME -- CMD... (prints its pid)");
  exec->add_flag("-d,--detach", detach, "detached: return once it runs (required)");
  exec->add_option("NAME", name)->required();
  exec->add_option("CMD", cmd)->required();
  auto* ps = app.add_subcommand("ps", "list containers");
  ps->add_flag("--json", as_json, "JSON output");
  auto* inspect = app.add_subcommand("inspect", "show a container as JSON");
  inspect->add_option("NAME", name)->required();
  auto* rm = app.add_subcommand("rm", "remove containers");
  rm->add_option("NAME", names)->required();
  rm->add_flag("-f,--force", force, "kill running containers first");
  auto* sync = app.add_subcommand("sync", "reconcile records with the runtime");
  sync->add_option("NAME", names);
  auto* replay = app.add_subcommand("replay", "replay scenario files or folders");
  ReplayOptions ro;
  replay->add_option("PATH", ro.paths, "scenario files or folders")->required();
  replay->add_option("--backend", ro.backend, "fake or real")->capture_default_str();
  replay->add_option("--runtime", ro.runtime, "runtime name for --backend real");
  replay->add_option("--junit", ro.junit, "write a JUnit XML report");
  replay->add_option("--json", ro.json, "write a JSON report");
  replay->add_option("--state-root", ro.root, "state root for --backend real (default: a temp dir)");
  auto* bundle_cmd = app.add_subcommand("bundle", "make a busybox bundle: crh bundle DIR -- CMD...");
  bundle_cmd->add_option("DIR", bundle)->required();
  bundle_cmd->add_option("CMD", cmd)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(spdlog::level::from_str(g.log_level));

  if (replay->parsed()) return RunReplay(ro, std::cout, std::cerr);
  if (bundle_cmd->parsed()) {
    Status s = MakeBusyboxBundle(bundle, cmd);
    if (!s.ok()) return Fail("bundle " + bundle, s);
    std::cout << bundle << "\n";
    return 0;
  }
  // One engine per runtime. Without --runtime, an existing container is driven by the runtime
  // that created it (its record says which); new containers get the manifest's first runtime.
  std::map<std::string, std::unique_ptr<Engine>> engines;
  auto engine_named = [&](const std::string& runtime) -> Result<Engine*> {
    auto& slot = engines[runtime];
    if (!slot) {
      CRH_ASSIGN_OR_RETURN(slot, MakeRealEngine(
                                     {.root = g.root, .runtime = runtime, .network = g.network}));
    }
    return slot.get();
  };
  auto engine_or = engine_named(g.runtime);
  if (!engine_or.ok()) return Fail("setting up", engine_or.status());
  Engine& e = **engine_or;
  auto engine_for = [&](const std::string& name_or_id) -> Result<Engine*> {
    auto c = e.Inspect(name_or_id);
    if (!c.ok() || c->runtime.empty()) return &e;
    // An explicit exact runtime is the user's word (the engine refuses a mismatch with the fix);
    // a family ("--runtime runc") or none means the runtime that created the container.
    if (!g.runtime.empty() && RuntimeFamily(c->runtime) != g.runtime) return &e;
    return engine_named(c->runtime);
  };
  auto abs = [](const std::string& p) {
    if (p.empty() || p.front() == '/') return p;
    char buf[4096];
    return std::string(getcwd(buf, sizeof buf) ? buf : ".") + "/" + p;
  };

  if (create->parsed() || run->parsed()) {
    DefineSpec spec{.name = name, .bundle = abs(bundle), .static_ip = ip};
    auto c = run->parsed() ? e.Run(spec) : [&]() -> Result<Container> {
      CRH_ASSIGN_OR_RETURN(Container d, e.Define(spec));
      return e.Create(d.id);
    }();
    if (!c.ok()) return Fail(std::string(run->parsed() ? "run " : "create ") + name, c.status());
    std::cout << c->name << "\n";
    return 0;
  }
  if (exec->parsed()) {
    if (!detach) {
      std::cerr << "crh: exec " << name << ": only detached processes are supported, and their "
                << "output goes to the container's log: crh exec -d " << name << " -- CMD...\n";
      return 2;
    }
    auto eng = engine_for(name);
    if (!eng.ok()) return Fail("exec " + name, eng.status());
    auto pid = (*eng)->Exec(name, {.args = cmd, .detach = true});
    if (!pid.ok()) return Fail("exec " + name, pid.status());
    std::cout << *pid << "\n";
    return 0;
  }
  if (ps->parsed()) {
    auto all = e.List();
    if (!all.ok()) return Fail("ps", all.status());
    if (as_json) {
      json arr = json::array();
      for (const auto& c : *all) arr.push_back(json::parse(InspectJson(e, c).dump()));
      std::cout << arr.dump(2) << "\n";
      return 0;
    }
    std::printf("%-12s  %-16s  %-10s  %-15s  %-7s  %s\n", "ID", "NAME", "STATE", "IP", "PID",
                "CHECKPOINTED");
    for (const auto& c : *all) {
      std::printf("%-12s  %-16s  %-10s  %-15s  %-7d  %s\n", c.id.substr(0, 12).c_str(),
                  c.name.c_str(), std::string(StateName(c.state)).c_str(), c.Ip().c_str(),
                  c.pid, c.checkpointed ? "yes" : "no");
    }
    return 0;
  }
  if (inspect->parsed()) {
    auto c = e.Inspect(name);
    if (!c.ok()) return Fail("inspect " + name, c.status());
    std::cout << InspectJson(e, *c).dump(2) << "\n";
    return 0;
  }

  // The multi-name commands: every name is attempted; the exit code says whether all worked.
  // With --print-stats, stdout is one JSON document (podman's shape) instead of the names.
  ordered_json stats = ordered_json::array();
  auto each = [&](const std::string& verb,
                  const std::function<Result<Container>(Engine&, const std::string&)>& op) {
    int rc = 0;
    for (const auto& n : names) {
      auto eng = engine_for(n);
      if (!eng.ok()) {
        rc = Fail(verb + " " + n, eng.status());
        continue;
      }
      auto r = op(**eng, n);
      if (r.ok()) {
        for (const auto& w : (*eng)->warnings()) std::cerr << "crh: warning: " << w << "\n";
        const std::optional<OperationStats>& figures =
            verb == "checkpoint" ? r->checkpoint_stats : r->restore_stats;
        if (!print_stats) {
          std::cout << r->name << "\n";
        } else if (figures) {
          ordered_json one{{"Id", r->id}, {"Name", r->name}};
          one.update(StatsJson(*figures, verb));
          stats.push_back(std::move(one));
        }
      } else {
        rc = Fail(verb + " " + n, r.status());
      }
    }
    return rc;
  };
  if (start->parsed()) return each("start", [&](Engine& x, auto& n) { return x.Start(n); });
  if (stop->parsed()) {
    return each("stop", [&](Engine& x, auto& n) { return x.Stop(n, timeout_s * 1000); });
  }
  if (kill->parsed()) return each("kill", [&](Engine& x, auto& n) { return x.Kill(n, signal); });
  if (pause->parsed()) return each("pause", [&](Engine& x, auto& n) { return x.Pause(n); });
  if (unpause->parsed()) return each("unpause", [&](Engine& x, auto& n) { return x.Unpause(n); });
  // crh's own duration over every container of the command, as podman's is.
  auto with_stats = [&](const std::string& verb, const std::function<int()>& run_all) {
    const auto started = std::chrono::steady_clock::now();
    const int rc = run_all();
    if (print_stats) {
      ordered_json out;
      out["crh_" + verb + "_duration"] =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                started)
              .count();
      out["container_statistics"] = stats;
      std::cout << out.dump(2) << "\n";
    }
    return rc;
  };
  if (checkpoint->parsed()) {
    return with_stats("checkpoint", [&] {
      return each("checkpoint", [&](Engine& x, auto& n) {
        return x.Checkpoint(n, {.keep = keep,
                                .tcp_established = tcp_established,
                                .file_locks = file_locks,
                                .leave_running = leave_running});
      });
    });
  }
  if (restore->parsed()) {
    return with_stats("restore", [&] {
      return each("restore", [&](Engine& x, auto& n) {
        return x.Restore(n, {.keep = keep,
                             .tcp_established = tcp_established,
                             .file_locks = file_locks,
                             .allow_stale = allow_stale});
      });
    });
  }
  if (sync->parsed()) {
    if (names.empty()) {
      auto all = e.List();
      if (!all.ok()) return Fail("sync", all.status());
      for (const auto& c : *all) names.push_back(c.id);
    }
    return each("sync", [&](Engine& x, auto& n) { return x.Sync(n); });
  }
  if (rm->parsed()) {
    int rc = 0;
    for (const auto& n : names) {
      auto eng = engine_for(n);
      Status s = eng.ok() ? (*eng)->Remove(n, force) : eng.status();
      if (s.ok()) {
        std::cout << n << "\n";
      } else {
        rc = Fail("rm " + n, s);
      }
    }
    return rc;
  }
  return 2;
}

}  // namespace
}  // namespace crh

int main(int argc, char** argv) {
  // Logs go to stderr, so stdout carries only what a command prints (names, JSON, TAP, tables).
  spdlog::set_default_logger(spdlog::stderr_color_mt("crh"));
  spdlog::set_level(spdlog::level::warn);
  // The conformance suite drives a runtime binary directly, without the engine; its commands
  // parse their own flags.
  if (argc > 1) {
    const std::string cmd = argv[1];
    if (cmd == "conformance") return crh::conformance::ConformanceMain(argc - 1, argv + 1);
    if (cmd == "conformance-report") {
      return crh::conformance::ConformanceReportMain(argc - 1, argv + 1);
    }
    if (cmd == "gate") return crh::conformance::GateMain(argc - 1, argv + 1);
  }
  return crh::Run(argc, argv);
}
