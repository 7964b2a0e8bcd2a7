#pragma once
// A backend for the end-to-end suites: an engine plus the means to look behind it. The same
// TEST_P runs over the fake backend (FakeWorld) and over every runtime in the toolchain manifest
// (real runc/crun, CRIU, CNI bridge), so the fakes are kept honest by the very tests that check
// the real thing (STYLE.md item 10).

#include <memory>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/engine/engine.h"

namespace crh::e2e {

// The files of a container directory whose presence the engine documents. Real and fake images
// differ inside checkpoint/ (CRIU writes many files), so only inventory.img is compared there.
inline const std::vector<std::string> kDocumentedFiles = {
    "checkpoint/",  "checkpoint/inventory.img", "config.json",  "container.json",
    "dump.log",     "network.status",           "restore.log",  "stats-dump",
    "stats-restore"};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string Name() const = 0;
  virtual bool IsReal() const = 0;
  virtual Engine& engine() = 0;

  // A bundle whose process prints a counter every 100 ms ("1", "2", ...) and keeps the last
  // value in memory; returns its absolute directory.
  virtual std::string CounterBundle(const std::string& name) = 0;

  // How far the container's process has counted. Real: the last number in its log; fake: the
  // fake process's counter.
  virtual Result<uint64_t> Progress(const Container& c) = 0;
  // Let the process work for a while (real: waits until it printed more; fake: ticks).
  virtual void LetItRun(const Container& c) = 0;
  // Every number the process printed so far (real only; fake: empty).
  virtual std::vector<uint64_t> Printed(const Container& c) = 0;

  // kDocumentedFiles that exist for the container, in that order.
  virtual std::vector<std::string> DocumentedFiles(const std::string& id) = 0;

  // Everything left behind for a container id that a container in `state` should not hold:
  // netns, veth, IP reservation, runtime state, processes, mounts, files. Empty: nothing leaked.
  // `removed`: after rm nothing at all may remain.
  virtual std::vector<std::string> Leaks(const Container& c, bool removed) = 0;

  // Damage and repair the container's memory image (truncate to half): the fake's pages-1.img,
  // the first pagemap-*.img of a real CRIU image.
  virtual Status DamagePages(const std::string& id) = 0;
  virtual Status RepairPages(const std::string& id) = 0;
  virtual Status WriteFile(const std::string& path, const std::string& data) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;

  // Best-effort removal of every container the backend still has (used even after failures).
  virtual void RemoveAll() = 0;
};

// "fake", or a runtime name from the toolchain manifest.
std::vector<std::string> BackendNames(bool include_fake);
Result<std::unique_ptr<Backend>> MakeBackend(const std::string& name);

// For names in test output: "runc-1.3.6" -> "runc_1_3_6".
std::string SafeName(std::string name);

}  // namespace crh::e2e
