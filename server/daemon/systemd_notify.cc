#include "server/daemon/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>

#include "absl/time/time.h"

namespace mpower {

SystemdNotifier::SystemdNotifier() {
  sd_notify(0, "READY=1");
  uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
    const absl::Duration interval = absl::Microseconds(static_cast<int64_t>(watchdog_usec)) / 2;
    watchdog_ = std::thread([this, interval] {
      while (!stopping_.WaitForNotificationWithTimeout(interval)) sd_notify(0, "WATCHDOG=1");
    });
  }
}

SystemdNotifier::~SystemdNotifier() {
  sd_notify(0, "STOPPING=1");
  stopping_.Notify();
  if (watchdog_.joinable()) watchdog_.join();
}

}  // namespace mpower
