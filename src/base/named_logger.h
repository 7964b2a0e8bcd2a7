#pragma once
// Named spdlog loggers, made on first use. The fault plan ("fault_plan") and the fakes
// ("fake_filesystem", "fake_network", "fake_runtime") log every fault they inject with the site's
// name, so a failing run's log reads as its fault schedule.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace crh {

// Returns the logger registered under `name`, creating a stderr logger the first time. Safe to
// call from several threads and from code that registers the same name itself.
std::shared_ptr<spdlog::logger> NamedLogger(const std::string& name);

}  // namespace crh
