#pragma once
// Probes prove that a recovery path ran. `CRH_PROBE("restore.cleanup_after_runtime_failure")`
// bumps a named, process-wide counter; tests ask Probes::Count(name) to show that the path they
// aim at was really taken, and Probes::Snapshot() lists every probe hit so far.

#include <map>
#include <mutex>
#include <string>

namespace crh {

class Probes {
 public:
  static void Hit(const std::string& name);
  static long Count(const std::string& name);
  static std::map<std::string, long> Snapshot();
  static void Reset();
};

}  // namespace crh

#define CRH_PROBE(name) ::crh::Probes::Hit(name)
