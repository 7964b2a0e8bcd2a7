#include "src/base/named_logger.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace crh {

std::shared_ptr<spdlog::logger> NamedLogger(const std::string& name) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(name)) return existing;
  try {
    return spdlog::stderr_color_mt(name);
  } catch (const spdlog::spdlog_ex&) {
    // Someone outside this function registered the name between get and create.
    return spdlog::get(name);
  }
}

}  // namespace crh
