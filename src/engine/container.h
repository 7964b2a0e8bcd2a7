#pragma once
// The container record: everything crh knows about one container, persisted as JSON under the
// state root (containers/<id>/container.json) and rewritten atomically after every step that
// changes it. The record is the engine's memory across processes and crashes: a fresh engine
// must be able to explain and recover any container from its record plus what the runtime and
// the network report (see Engine::Sync).

#include <cstdint>
#include <string>
#include <string_view>

#include "src/base/status.h"
#include "src/net/network_status.h"

namespace crh {

// The states of docs/state-machine.md. Removed is never persisted: it is the absence of a record.
enum class ContainerState { kConfigured, kCreated, kRunning, kPaused, kStopped, kExited, kRemoved };
inline constexpr int kNumStates = 7;

std::string_view StateName(ContainerState s);
Result<ContainerState> StateFromName(std::string_view name);

// An operation in flight, written before its first irreversible step so a crash leaves a trace
// that Sync can act on.
enum class PendingOp { kNone, kCheckpoint, kRestore };
std::string_view PendingOpName(PendingOp op);

struct Container {
  std::string id;
  std::string name;
  std::string bundle;          // the user's OCI bundle (config.json and rootfs)
  std::string requested_ip;    // a static address asked for at creation, or empty
  // The runtime that created it (OciRuntime::Name()). Checkpoints are not portable between
  // runtimes (podman#12351), so every later operation must use the same one.
  std::string runtime;
  ContainerState state = ContainerState::kConfigured;
  int pid = 0;

  // The network namespace the container uses while it has one; kept until it is deleted so a
  // crashed engine's successor can tear it down.
  std::string netns_path;
  // The CNI result while the container is attached; cleared when the address is released.
  bool has_network_status = false;
  NetworkStatus network_status;

  bool checkpointed = false;   // Exited by a checkpoint whose images are complete
  bool restored = false;       // Running because of a restore
  PendingOp pending = PendingOp::kNone;

  int64_t created_at_ms = 0;
  int64_t started_at_ms = 0;
  int64_t checkpointed_at_ms = 0;
  int64_t restored_at_ms = 0;

  // The address the container holds now, or "".
  std::string Ip() const { return has_network_status ? network_status.PrimaryIp() : ""; }

  std::string ToJson() const;
  // kDataLoss naming `source` (the record's path) and the bad field.
  static Result<Container> FromJson(const std::string& text, const std::string& source);
};

// Container IDs and names become paths and netns names: they must be 1-64 characters from
// [A-Za-z0-9_.-], start with a letter or digit, and contain no "..". `what` is "ID" or "name".
Status ValidateIdentifier(std::string_view value, std::string_view what);

}  // namespace crh
