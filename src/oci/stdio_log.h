#pragma once
// Stdio for detached containers, in the way conmon does it: the container gets pipes (CRIU can
// dump a pipe whose other end is outside the container, but not a regular file outside it), and
// a small daemonized copier process holds the read ends and appends what arrives to a log file
// until every writer is gone. crh is a CLI that exits; the copier outlives it and the runtime
// call that started the container.
//
// Example (what CliRuntime::Create does):
//   CRH_ASSIGN_OR_RETURN(auto stdio, StdioLog::Start("/var/lib/crh/c1/stdio.log"));
//   spawn `runc create` with fds 0,1,2 = stdio->container_fds();
//   stdio->CloseContainerEnds();   // the container keeps its own copies
//
// A terminal container (process.terminal in config.json) gets a pseudo-terminal instead, made by
// the runtime, which sends its master end to a console socket (runc's --console-socket). With
// `terminal`, the copier also listens on such a socket (a fresh 0700 directory in /tmp or
// $TMPDIR, removed once the master arrives), takes the master and appends what the container
// writes to its terminal to the same log. Without a pseudo-terminal CRIU could not dump the
// container's stdio either way, and the runtime's own output still goes through the pipes.

#include <sys/types.h>

#include <array>
#include <memory>
#include <string>

#include "src/base/status.h"

namespace crh {

class StdioLog {
 public:
  // Opens (creating, appending) `log_path` ("" discards the output), creates a stdin pipe whose
  // write end is closed at once (the container reads EOF, as from /dev/null) and stdout/stderr
  // pipes, and starts the copier. kUnavailable if the log cannot be opened or fork fails.
  static Result<std::unique_ptr<StdioLog>> Start(const std::string& log_path,
                                                 bool terminal = false);

  ~StdioLog();
  StdioLog(const StdioLog&) = delete;
  StdioLog& operator=(const StdioLog&) = delete;

  // {stdin read end, stdout write end, stderr write end}: to become fds 0, 1, 2 of the runtime
  // process. They are O_CLOEXEC in this process.
  std::array<int, 3> container_fds() const { return fds_; }

  // Closes this process's copies of the container ends; the destructor does it too. Once the
  // container and the runtime have exited, the copier sees EOF, flushes and exits.
  void CloseContainerEnds();

  // The copier's pid (it is not our child: it was reparented when its parent exited).
  pid_t copier_pid() const { return copier_pid_; }

  // With `terminal`: the socket to pass as --console-socket; empty otherwise. The copier accepts
  // one connection. If the runtime exits without sending a master (its stdio pipes reach EOF and
  // nothing is queued on the socket), the copier removes the socket and exits.
  const std::string& console_socket() const { return console_socket_; }

 private:
  StdioLog() = default;
  std::string console_socket_;
  std::array<int, 3> fds_ = {-1, -1, -1};
  pid_t copier_pid_ = -1;
};

}  // namespace crh
