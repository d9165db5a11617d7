#ifndef MPOWER_SERVER_DAEMON_MAINTENANCE_H_
#define MPOWER_SERVER_DAEMON_MAINTENANCE_H_

// The work mpowerd does on a timer rather than for a call: compacting the
// change feed's history, escalating unanswered alerts, purging the
// protected details of alerts closed long enough ago, and following the
// key directory (re-sealing what older keys sealed). With several
// replicas on one database, only the one holding the store's maintenance
// lease (Store::HoldsMaintenanceLease) does it, so it runs once in the
// cluster; when that replica dies, another takes the lease at its next
// round. Every replica follows the key directory itself, whoever leads.

#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/core/escalation.h"
#include "server/service/metrics.h"
#include "server/storage/keyring.h"
#include "server/storage/store.h"

namespace mpower {

struct MaintenanceOptions {
  absl::Duration interval = absl::Minutes(1);
  // How many of the latest revisions the history keeps; 0 keeps all.
  int64_t history_revisions = 0;
  EscalationPolicy escalation;
  // Purge the protected details of alerts closed this long ago; zero never.
  absl::Duration purge_protected_after = absl::ZeroDuration();
  // Where escalations, purges and the database's size are counted; null
  // for nowhere. REQUIRES: it outlives the scheduler.
  ServerMetrics* metrics = nullptr;
};

// Runs maintenance every interval on a thread of its own, from
// construction until Stop() or destruction. Failures are logged and tried
// again next time. Thread-safe.
class MaintenanceScheduler {
 public:
  // REQUIRES: `store` and `keyring` (the store's) outlive the scheduler.
  MaintenanceScheduler(Store* store, const Keyring* keyring, MaintenanceOptions options);
  ~MaintenanceScheduler();
  MaintenanceScheduler(const MaintenanceScheduler&) = delete;
  MaintenanceScheduler& operator=(const MaintenanceScheduler&) = delete;

  // Ends the thread, waiting for a round in progress to finish.
  void Stop() ABSL_LOCKS_EXCLUDED(mutex_);

  // One round of everything, now.
  void RunOnce();

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mutex_);
  void FollowKeys(bool leading);

  // Rounds of re-sealing left after the current key last moved: every
  // replica reloads the keys within a round, so after a few quiet rounds
  // nothing is sealed with an old key any more. Re-sealing starts on the
  // first round too, for data another replica sealed before this one knew
  // the new key.
  static constexpr int kResealRounds = 3;

  Store* const store_;
  const Keyring* const keyring_;
  int reseal_rounds_left_ = kResealRounds;  // used by the round's thread only
  const MaintenanceOptions options_;
  Escalator escalator_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;  // started last, once everything it uses exists
};

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_MAINTENANCE_H_
