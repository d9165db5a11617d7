#ifndef MPOWER_SERVER_DAEMON_SYSTEMD_NOTIFY_H_
#define MPOWER_SERVER_DAEMON_SYSTEMD_NOTIFY_H_

// Speaking to systemd when it runs mpowerd as a Type=notify service
// (packaging/mpowerd.service): READY once mpowerd serves, the watchdog's
// keep-alive while it lives, STOPPING when it stops. Outside systemd
// (no $NOTIFY_SOCKET) every call does nothing.

#include <thread>

#include "absl/synchronization/notification.h"

namespace mpower {

class SystemdNotifier {
 public:
  // Tells systemd mpowerd is ready, and, if the unit has WatchdogSec=,
  // starts pinging it at half that interval from a thread of its own.
  SystemdNotifier();
  // Tells systemd mpowerd is stopping, and stops pinging.
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

 private:
  absl::Notification stopping_;
  std::thread watchdog_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_SYSTEMD_NOTIFY_H_
