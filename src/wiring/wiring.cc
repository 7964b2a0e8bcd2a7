#include "src/wiring/wiring.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "src/base/clock.h"
#include "src/base/sim_random.h"
#include "src/fs/posix_filesystem.h"
#include "src/net/cni_network.h"
#include "src/oci/cli_runtime.h"
#include "src/oci/toolchain.h"

namespace crh {

namespace {

// IDs only need to be unique, not replayable: seed the engine's generator from the kernel.
uint64_t KernelSeed() {
  uint64_t seed = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, &seed, sizeof seed) != sizeof seed) seed = 0;
    close(fd);
  }
  return seed ^ static_cast<uint64_t>(getpid());
}

}  // namespace

Result<std::unique_ptr<Engine>> MakeRealEngine(const RealEngineOptions& opts) {
  CRH_ASSIGN_OR_RETURN(Toolchain tc, opts.toolchain.empty() ? LoadToolchain()
                                                            : LoadToolchain(opts.toolchain));
  std::string want = opts.runtime;
  if (want.empty()) {
    if (tc.runtimes.empty()) {
      return FailedPrecondition("the toolchain manifest " + tc.manifest_path +
                                " lists no runtime; run `sudo ci/setup.sh`");
    }
    want = tc.runtimes.front().name;
  }
  CRH_ASSIGN_OR_RETURN(ToolchainRuntime rt, tc.FindRuntime(want));
  if (rt.name != want) {
    spdlog::info("runtime \"{}\" is {} ({}) from {}", want, rt.name, rt.path, tc.manifest_path);
  }
  // Each runtime keeps its state in its own folder under the crh root, never in /run/runc.
  CRH_ASSIGN_OR_RETURN(auto runtime,
                       CliRuntime::Make(CliRuntimeConfigFor(
                           tc, rt, JoinPath(JoinPath(opts.root, "runtimes"), rt.name))));
  CniNetworkOptions net_opts{
      .conflist = opts.network.empty() ? DefaultConflist(opts.root) : opts.network,
      .state_dir = opts.root};
  if (!opts.cni_path.empty()) net_opts.cni_path = opts.cni_path;
  auto net = std::make_shared<CniNetwork>(net_opts);
  CRH_RETURN_IF_ERROR(net->Init());
  return std::make_unique<Engine>(EngineDeps{
      .runtime = runtime,
      .network = net,
      .fs = std::make_shared<PosixFilesystem>(),
      .clock = std::make_shared<SystemClock>(),
      .random = std::make_shared<SimRandom>(KernelSeed()),
      .root = opts.root});
}

}  // namespace crh
