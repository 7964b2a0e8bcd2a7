#pragma once
// Time as a seam. The engine reads time (record timestamps, how long an operation took) and
// waits (stop's grace period) only through Clock, so fakes can run a 10-second stop timeout in
// no time and a seed replays.

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

namespace crh {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() = 0;
  // Microseconds on a clock that never goes back, for durations (--print-stats); its origin
  // means nothing.
  virtual int64_t MonotonicUs() = 0;
  virtual void SleepMs(int64_t ms) = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicUs() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void SleepMs(int64_t ms) override { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
};

// A clock that only moves when someone sleeps on it or advances it. Deterministic.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() override { return now_ms_; }
  int64_t MonotonicUs() override { return now_ms_ * 1000; }
  void SleepMs(int64_t ms) override { now_ms_ += ms > 0 ? ms : 0; }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }

 private:
  int64_t now_ms_;
};

using ClockPtr = std::shared_ptr<Clock>;

}  // namespace crh
