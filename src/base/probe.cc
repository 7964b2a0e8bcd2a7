#include "src/base/probe.h"

namespace crh {

namespace {
std::mutex& Mu() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, long>& Counts() {
  static auto* counts = new std::map<std::string, long>();
  return *counts;
}
}  // namespace

void Probes::Hit(const std::string& name) {
  std::lock_guard<std::mutex> l(Mu());
  ++Counts()[name];
}

long Probes::Count(const std::string& name) {
  std::lock_guard<std::mutex> l(Mu());
  auto it = Counts().find(name);
  return it == Counts().end() ? 0 : it->second;
}

std::map<std::string, long> Probes::Snapshot() {
  std::lock_guard<std::mutex> l(Mu());
  return Counts();
}

void Probes::Reset() {
  std::lock_guard<std::mutex> l(Mu());
  Counts().clear();
}

}  // namespace crh
