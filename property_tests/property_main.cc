// The main() of the property suites: fixes the seed and budget (property_main.h), advertises
// sharding support to Bazel, keeps the fakes' logs quiet, and prints the seed before anything
// runs.
#include "property_tests/property_main.h"

#include <gtest/gtest.h>
#include <rapidcheck/detail/Configuration.h>
#include <rapidcheck/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <unordered_map>

namespace rc::detail {
// Defined in librapidcheck (src/detail/StringSerialization.cpp); not in its installed headers.
std::string reproduceMapToString(const std::unordered_map<std::string, Reproduce>& map);
}  // namespace rc::detail

namespace crh {

namespace {

std::string Env(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

}  // namespace

std::string WriteCounterexample(const Scenario& s) {
  const std::string text = ScenarioToJson(s);
  const std::string name = ContentHash(text) + ".json";
  std::error_code ec;
  // The first folder that takes the file wins (a sandbox may refuse the ones named first).
  for (std::string dir : {Env("CRH_COUNTEREXAMPLE_DIR"), Env("TEST_UNDECLARED_OUTPUTS_DIR"),
                          std::filesystem::temp_directory_path(ec).string()}) {
    if (dir.empty()) continue;
    std::filesystem::create_directories(dir, ec);
    const std::string path = dir + "/" + name;
    std::ofstream f(path);
    f << text;
    f.close();
    if (f) return path;
  }
  return "";
}

void CheckProperty(const std::string& target, const std::function<void()>& property,
                   const std::function<std::optional<Scenario>()>& counterexample) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  const auto result = rc::detail::checkTestable(property, metadata);
  if (result.template is<rc::detail::SuccessResult>()) return;
  std::ostringstream msg;
  rc::detail::printResultMessage(result, msg);
  const auto& params = rc::detail::configuration().testParams;
  msg << "\nseed: " << params.seed;
  if (result.template is<rc::detail::FailureResult>()) {
    const auto& failure = result.template get<rc::detail::FailureResult>();
    std::unordered_map<std::string, rc::detail::Reproduce> map{{metadata.id, failure.reproduce}};
    const std::string repro = rc::detail::reproduceMapToString(map);
    msg << "\nreproduce: bazel test " << target << " --test_env=RC_PARAMS=\"reproduce=" << repro
        << "\"";
    if (auto s = counterexample()) {
      s->metadata["property"] = metadata.id;
      s->metadata["seed"] = std::to_string(params.seed);
      s->metadata["reproduce"] = repro;
      const std::string path = WriteCounterexample(*s);
      msg << "\nshrunk counterexample (" << s->steps.size() << " steps): " << path
          << "\nreplay it: crh replay " << path
          << "\n(check it in under scenarios/regressions/ once the bug is understood)";
    }
  }
  ADD_FAILURE() << msg.str();
}

}  // namespace crh

int main(int argc, char** argv) {
  // Our defaults first; what the user set in RC_PARAMS comes last and wins.
  std::string cases = getenv("CRH_PROPERTY_CASES") ? getenv("CRH_PROPERTY_CASES")
                                                    : std::to_string(crh::kDefaultCases);
  std::string params = "seed=" + std::to_string(crh::kDefaultSeed) + " max_success=" + cases +
                       " max_size=40";
  if (const char* user = getenv("RC_PARAMS")) params += std::string(" ") + user;
  setenv("RC_PARAMS", params.c_str(), 1);
  // Bazel runs shards in parallel; gtest picks its share, we say we support it.
  if (const char* status = getenv("TEST_SHARD_STATUS_FILE")) std::ofstream touch(status);
  spdlog::set_level(spdlog::level::off);
  ::testing::InitGoogleTest(&argc, argv);
  const auto& p = rc::detail::configuration().testParams;
  std::cout << "property suites: seed=" << p.seed << " max_success=" << p.maxSuccess
            << " max_size=" << p.maxSize << " (RC_PARAMS=\"" << params << "\")" << std::endl;
  return RUN_ALL_TESTS();
}
