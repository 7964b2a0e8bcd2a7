#pragma once
// The named spdlog loggers the fakes write to ("fault_plan", "fake_filesystem", "fake_network",
// "fake_runtime"). Each fake logs every fault it injects with the site's name, so a failing run's
// log reads as its fault schedule.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace crh {

// Returns the logger registered under `name`, creating a stderr logger the first time. Safe to
// call from several threads and from code that registers the same name itself.
std::shared_ptr<spdlog::logger> FakeLogger(const std::string& name);

}  // namespace crh
