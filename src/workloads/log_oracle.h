#pragma once
// The generic oracle over a workload's log (catalogue.h): the container's stdout as the engine
// keeps it in <container dir>/ctr.log. Only complete lines count (the log may end mid-line while
// the copier writes). Lines that are not "ready", "ok N" or "FAIL N ..." ("note ...", the flood
// workload's "data ...") are ignored.
//
// Example:
//   Status seen = WaitForOks(log, /*at_least=*/before.oks.size() + 3, /*timeout_ms=*/10000);
//   EXPECT_THAT(seen, IsOk()) << ...;   // also fails on FAIL lines, a second "ready", a gap

#include <cstdint>
#include <string>
#include <vector>

#include "src/base/status.h"

namespace crh::workloads {

struct LogSummary {
  size_t readies = 0;              // "ready" lines: exactly one unless the process restarted
  std::vector<uint64_t> oks;       // the N of every "ok N", in order
  std::vector<std::string> fails;  // every "FAIL ..." line, whole
  std::vector<std::string> notes;  // every "note ..." line, whole
  std::string last_lines;          // the last few complete lines, for failure messages
};

LogSummary ParseLog(const std::string& text);
LogSummary ReadLog(const std::string& path);

// Empty if the summary is healthy so far: at most one "ready" (exactly one once any ok is
// seen), ok numbers 1, 2, 3, ... with no gap and no repeat, no FAIL. Otherwise what is wrong.
std::string Problems(const LogSummary& s);

// Waits (polling every 20 ms, up to timeout_ms) until the log holds at least `at_least` ok
// lines. kFailedPrecondition at once on a problem (Problems()), kDeadlineExceeded on timeout;
// the message says what it last saw.
Status WaitForOks(const std::string& log_path, size_t at_least, int timeout_ms = 10000);

// Waits until the log holds a FAIL line containing `signature` (a pinned limitation showing);
// kDeadlineExceeded otherwise (or at once if another FAIL came), naming what it saw.
Status WaitForFail(const std::string& log_path, const std::string& signature,
                   int timeout_ms = 10000);

// Waits until the log holds a "note ..." line starting with `prefix`.
Status WaitForNote(const std::string& log_path, const std::string& prefix, int timeout_ms = 10000);

}  // namespace crh::workloads
