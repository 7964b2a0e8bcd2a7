#pragma once
// The container record: everything crh knows about one container, persisted as JSON under the
// state root (containers/<id>/container.json) and rewritten atomically after every step that
// changes it. The record is the engine's memory across processes and crashes: a fresh engine
// must be able to explain and recover any container from its record plus what the runtime and
// the network report (see Engine::Sync).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// What one checkpoint or restore cost, as `crh checkpoint/restore --print-stats` prints it and
// `crh inspect` keeps it: crh's own duration, the runtime call's, and CRIU's figures from the
// stats image the runtime left in the container directory (stats-dump, stats-restore).
struct OperationStats {
  int64_t crh_duration_us = 0;      // the engine's whole operation
  int64_t runtime_duration_us = 0;  // the runtime's checkpoint or restore call within it
  std::string criu_file;            // the stats image read
  // CRIU's figures by their names in CRIU's stats.proto (freezing_time, pages_written, ...), in
  // field order; empty when criu_error says why there are none.
  std::vector<std::pair<std::string, uint64_t>> criu;
  // Why the stats image gave no figures: missing, unreadable or undecodable, naming the file.
  // Never a reason to fail the operation the figures describe.
  std::string criu_error;

  bool operator==(const OperationStats&) const = default;
};

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
  // The last checkpoint was `checkpoint --leave-running`: the process ran on after its images,
  // so while they are on disk restoring them would take it back in time, and restore refuses
  // unless told (docs/state-machine.md, "Stale checkpoints"). Cleared by the next checkpoint
  // that ends the process.
  bool checkpoint_left_running = false;
  PendingOp pending = PendingOp::kNone;

  int64_t created_at_ms = 0;
  int64_t started_at_ms = 0;
  int64_t checkpointed_at_ms = 0;
  int64_t restored_at_ms = 0;

  // The figures of the last successful checkpoint and restore (none before the first).
  std::optional<OperationStats> checkpoint_stats;
  std::optional<OperationStats> restore_stats;

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
