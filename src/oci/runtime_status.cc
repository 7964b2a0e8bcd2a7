#include "src/oci/oci_runtime.h"

namespace crh {

std::string_view RuntimeStatusName(RuntimeStatus s) {
  switch (s) {
    case RuntimeStatus::kCreating: return "creating";
    case RuntimeStatus::kCreated: return "created";
    case RuntimeStatus::kRunning: return "running";
    case RuntimeStatus::kPaused: return "paused";
    case RuntimeStatus::kStopped: return "stopped";
  }
  return "unknown";
}

}  // namespace crh
