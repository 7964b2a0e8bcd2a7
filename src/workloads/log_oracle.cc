#include "src/workloads/log_oracle.h"

#include <chrono>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

namespace crh::workloads {

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ParseOk(const std::string& line, uint64_t* n) {
  if (line.rfind("ok ", 0) != 0 || line.size() < 4) return false;
  uint64_t v = 0;
  for (size_t i = 3; i < line.size(); ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(line[i] - '0');
  }
  *n = v;
  return true;
}

std::string Describe(const LogSummary& s) {
  std::ostringstream o;
  o << s.readies << " ready, " << s.oks.size() << " ok lines";
  if (!s.oks.empty()) o << " (" << s.oks.front() << ".." << s.oks.back() << ")";
  o << ", " << s.fails.size() << " FAIL; last lines:\n" << s.last_lines;
  return o.str();
}

}  // namespace

LogSummary ParseLog(const std::string& text) {
  LogSummary s;
  std::deque<std::string> tail;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) break;  // an incomplete last line is not read yet
    std::string line = text.substr(start, nl - start);
    start = nl + 1;
    // A terminal container's output passes a pty, whose ONLCR makes every "\n" a "\r\n".
    if (!line.empty() && line.back() == '\r') line.pop_back();
    uint64_t n;
    if (line == "ready") {
      ++s.readies;
    } else if (ParseOk(line, &n)) {
      s.oks.push_back(n);
    } else if (line.rfind("FAIL", 0) == 0) {
      s.fails.push_back(line);
    } else if (line.rfind("note ", 0) == 0) {
      s.notes.push_back(line);
    } else if (line.rfind("data ", 0) == 0) {
      continue;  // filler: not worth a place among the last lines
    }
    tail.push_back(line.size() > 300 ? line.substr(0, 300) + "..." : line);
    if (tail.size() > 8) tail.pop_front();
  }
  for (const auto& l : tail) s.last_lines += "  | " + l + "\n";
  return s;
}

LogSummary ReadLog(const std::string& path) { return ParseLog(Slurp(path)); }

std::string Problems(const LogSummary& s) {
  std::ostringstream o;
  for (const auto& f : s.fails) o << "the workload failed: \"" << f << "\"; ";
  if (s.readies > 1) {
    o << "\"ready\" printed " << s.readies << " times: the process started again; ";
  }
  if (!s.oks.empty() && s.readies == 0) o << "ok lines without \"ready\"; ";
  for (size_t i = 0; i < s.oks.size(); ++i) {
    const uint64_t want = i + 1;
    if (s.oks[i] != want) {
      o << "ok " << s.oks[i] << " where ok " << want << " was due"
        << (s.oks[i] < want ? " (a repeat: the process went back to an older state)"
                            : " (a gap: steps were lost)")
        << "; ";
      break;
    }
  }
  return o.str();
}

Status WaitForOks(const std::string& log_path, size_t at_least, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  LogSummary s;
  while (true) {
    s = ReadLog(log_path);
    std::string p = Problems(s);
    if (!p.empty()) return FailedPrecondition(log_path + ": " + p + "\n" + Describe(s));
    if (s.oks.size() >= at_least) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return DeadlineExceeded(log_path + ": wanted " + std::to_string(at_least) + " ok lines within " +
                          std::to_string(timeout_ms) + " ms, saw " + Describe(s));
}

Status WaitForFail(const std::string& log_path, const std::string& signature, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  LogSummary s;
  while (true) {
    s = ReadLog(log_path);
    for (const auto& f : s.fails) {
      if (f.find(signature) != std::string::npos) return Status::Ok();
    }
    if (!s.fails.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return DeadlineExceeded(log_path + ": wanted a FAIL line containing \"" + signature +
                          "\" within " + std::to_string(timeout_ms) + " ms, saw " + Describe(s));
}

Status WaitForNote(const std::string& log_path, const std::string& prefix, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  LogSummary s;
  while (true) {
    s = ReadLog(log_path);
    for (const auto& n : s.notes) {
      if (n.rfind(prefix, 0) == 0) return Status::Ok();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return DeadlineExceeded(log_path + ": wanted a line \"" + prefix + "...\" within " +
                          std::to_string(timeout_ms) + " ms, saw " + Describe(s));
}

}  // namespace crh::workloads
