#pragma once
// Wires the real seams into an engine: the runtime named in the toolchain manifest (or a path),
// the CNI network (crh's default bridge or a user's conflist) and the POSIX filesystem. The one
// place that knows which real implementation backs each seam; `crh` and the real-backend
// scenario replay both build their engines here.

#include <memory>
#include <string>

#include "src/base/status.h"
#include "src/engine/engine.h"

namespace crh {

struct RealEngineOptions {
  std::string root = "/var/lib/crh";  // state root
  std::string runtime;                // manifest name or binary path; empty: the manifest's first
  std::string network;                // conflist path or JSON; empty: DefaultConflist(root)
  std::string toolchain;              // manifest path; empty: CRH_TOOLCHAIN or the default
  std::string cni_path;               // CNI plugin folder; empty: /usr/lib/cni
};

// kFailedPrecondition with "run `sudo ci/setup.sh`" when the toolchain manifest is missing.
Result<std::unique_ptr<Engine>> MakeRealEngine(const RealEngineOptions& opts);

}  // namespace crh
