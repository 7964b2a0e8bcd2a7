// faulty-runtime: a runc-compatible executable that forwards every call to a real runtime and,
// per a fault plan, breaks the calls it names. It stands where runc or crun would (give its path
// to `crh conformance --runtime`, `crh gate --candidate-runtime` or the engine), so the faults
// happen at the binary boundary, exactly as a broken runtime build would behave.
//
// The plan is JSON, read from $CRH_FAULT_PLAN, else from "<this binary>.plan.json":
//   {"runtime": "/opt/crh/runtimes/bin/runc",        // the real runtime (required)
//    "log": "/tmp/faults.log",                        // optional: one line per injected fault
//    "faults": [
//      {"command": "checkpoint", "action": "drop_flag", "flag": "--tcp-established"},
//      {"command": "restore", "action": "ignore_netns"},
//      {"command": "checkpoint", "action": "fail_before", "times": 1},
//      {"command": "checkpoint", "action": "fail_after"},
//      {"command": "checkpoint", "action": "corrupt_images", "files": ["pagemap-"]},
//      {"command": "checkpoint", "action": "delete_images", "files": ["inventory.img"]}]}
// Actions, from least to most destructive:
//   drop_flag       forward without `flag` (a runtime that ignores an option)
//   ignore_netns    restore: forward with a copy of the bundle whose config.json has no netns
//                   path (a runtime that restores into a fresh namespace)
//   fail_before     exit `exit_code` (default 1) without running the real runtime
//   fail_after      run the real runtime, then exit 1 even if it succeeded
//   corrupt_images  after a successful checkpoint, cut image files whose names start with one
//                   of `files` (default pagemap-) to half their size
//   delete_images   after a successful checkpoint, delete the named image files
// `times` (optional) limits a fault to its first N matching calls; the count is kept in
// "<plan>.fired.<index>" so it survives across calls.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Global flags that take a value, for runc and crun.
bool TakesValue(const std::string& flag) {
  return flag == "--root" || flag == "--log" || flag == "--log-format" || flag == "--criu" ||
         flag == "--cgroup-manager" || flag == "--rootless";
}

// Index of the subcommand in argv (after the global flags), or 0 if there is none.
size_t CommandIndex(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.empty() || a[0] != '-') return i;
    if (TakesValue(a)) ++i;  // the value is the next word unless given as --flag=value
  }
  return 0;
}

// The value of `flag` (also "-b" style short forms) after the command, or "".
std::string FlagValue(const std::vector<std::string>& args, size_t from,
                      std::initializer_list<const char*> names) {
  for (size_t i = from; i < args.size(); ++i) {
    for (const char* n : names) {
      std::string name(n);
      if (args[i] == name && i + 1 < args.size()) return args[i + 1];
      if (args[i].rfind(name + "=", 0) == 0) return args[i].substr(name.size() + 1);
    }
  }
  return "";
}

void Log(const json& plan, const std::string& line) {
  std::string path = plan.value("log", "");
  std::cerr << "faulty-runtime: " << line << "\n";
  if (!path.empty()) std::ofstream(path, std::ios::app) << line << "\n";
}

// Whether fault `index` may still fire (its `times` budget), counting this firing.
bool Budget(const std::string& plan_path, size_t index, const json& fault) {
  if (!fault.contains("times")) return true;
  std::string counter = plan_path + ".fired." + std::to_string(index);
  int fired = atoi(ReadFile(counter).c_str());
  if (fired >= fault["times"].get<int>()) return false;
  std::ofstream(counter) << fired + 1;
  return true;
}

int RunReal(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    execv(argv[0], argv.data());
    perror("faulty-runtime: exec");
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}

// A copy of `bundle` (config.json only; rootfs stays where it is) without the netns path.
std::string BundleWithoutNetns(const std::string& bundle) {
  json j = json::parse(ReadFile(bundle + "/config.json"), nullptr, false);
  if (!j.is_object()) return "";
  std::string root = j["root"].value("path", "rootfs");
  if (root.empty() || root[0] != '/') root = fs::absolute(fs::path(bundle) / root).string();
  j["root"]["path"] = root;
  for (auto& ns : j["linux"]["namespaces"]) {
    if (ns.value("type", "") == "network") ns.erase("path");
  }
  char tmpl[] = "/tmp/faulty-runtime-bundle-XXXXXX";
  if (!mkdtemp(tmpl)) return "";
  std::ofstream(std::string(tmpl) + "/config.json") << j.dump(2);
  return tmpl;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  const char* env_plan = getenv("CRH_FAULT_PLAN");
  std::string plan_path = env_plan && *env_plan ? env_plan : args[0] + ".plan.json";
  json plan = json::parse(ReadFile(plan_path), nullptr, false);
  if (!plan.is_object() || !plan.contains("runtime")) {
    std::cerr << "faulty-runtime: no fault plan with a \"runtime\" at " << plan_path
              << " (set CRH_FAULT_PLAN)\n";
    return 1;
  }
  args[0] = plan["runtime"].get<std::string>();
  size_t ci = CommandIndex(args);
  const std::string command = ci ? args[ci] : "";

  std::vector<std::pair<size_t, json>> post;  // faults that act after the real call
  std::string temp_bundle;
  if (plan.contains("faults")) {
    for (size_t i = 0; i < plan["faults"].size(); ++i) {
      const json& f = plan["faults"][i];
      if (f.value("command", "") != command || !Budget(plan_path, i, f)) continue;
      const std::string action = f.value("action", "");
      if (action == "fail_before") {
        Log(plan, "injected: " + command + " fails before the real runtime runs");
        return f.value("exit_code", 1);
      } else if (action == "drop_flag") {
        std::string flag = f.value("flag", "");
        for (size_t k = ci + 1; k < args.size(); ++k) {
          if (args[k] == flag) {
            args.erase(args.begin() + static_cast<long>(k));
            Log(plan, "injected: " + command + " without " + flag);
            break;
          }
        }
      } else if (action == "ignore_netns" && command == "restore") {
        std::string bundle = FlagValue(args, ci + 1, {"--bundle", "-b"});
        if (bundle.empty()) bundle = fs::current_path().string();
        temp_bundle = BundleWithoutNetns(bundle);
        if (!temp_bundle.empty()) {
          bool replaced = false;
          for (size_t k = ci + 1; k + 1 < args.size(); ++k) {
            if (args[k] == "--bundle" || args[k] == "-b") {
              args[k + 1] = temp_bundle;
              replaced = true;
            }
          }
          if (!replaced) args.insert(args.begin() + static_cast<long>(ci) + 1,
                                     {"--bundle", temp_bundle});
          Log(plan, "injected: restore ignores the netns path of " + bundle);
        }
      } else {
        post.push_back({i, f});
      }
    }
  }

  int rc = RunReal(args);
  if (!temp_bundle.empty()) {
    std::error_code ec;
    fs::remove_all(temp_bundle, ec);
  }
  for (const auto& [i, f] : post) {
    const std::string action = f.value("action", "");
    if (action == "fail_after") {
      Log(plan, "injected: " + command + " reports failure after the real runtime exited " +
                    std::to_string(rc));
      rc = rc == 0 ? 1 : rc;
    } else if ((action == "corrupt_images" || action == "delete_images") && rc == 0 &&
               command == "checkpoint") {
      std::string img = FlagValue(args, ci + 1, {"--image-path"});
      if (img.empty()) img = (fs::current_path() / "checkpoint").string();
      std::vector<std::string> files = f.value("files", std::vector<std::string>{"pagemap-"});
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(img, ec)) {
        std::string name = e.path().filename().string();
        for (const auto& want : files) {
          if (action == "delete_images" && name == want) {
            fs::remove(e.path(), ec);
            Log(plan, "injected: deleted " + e.path().string());
          } else if (action == "corrupt_images" && name.rfind(want, 0) == 0) {
            fs::resize_file(e.path(), e.file_size() / 2, ec);
            Log(plan, "injected: truncated " + e.path().string());
          }
        }
      }
    }
  }
  return rc;
}
