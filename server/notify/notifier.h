#ifndef MPOWER_SERVER_NOTIFY_NOTIFIER_H_
#define MPOWER_SERVER_NOTIFY_NOTIFIER_H_

// Delivers what subscriptions select, at least once and in revision order,
// from the change history. Each subscription's position (the revision it
// has delivered through) is kept in the store (Store::PutDeliveryState),
// so a restart, or a SIGKILL, resumes where deliveries stopped: what was
// sent but not yet recorded is sent again, a duplicate the webhook-id lets
// receivers drop. Only the replica holding the maintenance lease delivers,
// so with several replicas each change reaches each subscription once (at
// least once across a handover).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mpower/v1/subscription.pb.h"
#include "server/core/change_feed.h"
#include "server/notify/email_sender.h"
#include "server/notify/webhook_sender.h"
#include "server/storage/store.h"

namespace mpower {

struct NotifierOptions {
  WebhookOptions webhook;
  SmtpOptions smtp;
  // How long failed deliveries are retried before the subscription is
  // marked failing and stops.
  absl::Duration retry_for = absl::Hours(24);
  // Backoff after the first failure, doubling to at most max_backoff, each
  // wait a random time between half and all of it (jitter).
  absl::Duration first_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(10);
  // An email subscription gets at most one message per this; what comes
  // between goes out as one digest.
  absl::Duration email_digest_interval = absl::Minutes(1);
  // Subscriptions delivered to at once (each one's deliveries stay in order).
  int delivery_threads = 16;
  // Told of each delivery attempt, and of each subscription marked
  // failing, for the operator's metrics; null for nobody. Must be quick.
  std::function<void(bool delivered)> observe_attempt;
  std::function<void()> observe_failing;
};

// INVALID_ARGUMENT, naming the flag, if `options` cannot work.
absl::Status CheckNotifierOptions(const NotifierOptions& options);

// The delivery status of the subscription `name`, as stored; for one with
// none yet, active and delivered through the revision that created it.
absl::StatusOr<v1::Subscription::DeliveryStatus> LoadDeliveryStatus(Store& store,
                                                                    absl::string_view name);

// Thread-safe.
class Notifier {
 public:
  // REQUIRES: `store` outlives this object.
  Notifier(Store* store, NotifierOptions options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Starts delivering; Stop (or destruction) ends it, letting deliveries in
  // flight finish.
  void Start() ABSL_LOCKS_EXCLUDED(mutex_);
  void Stop() ABSL_LOCKS_EXCLUDED(mutex_);

  // Something was committed: look for what to deliver now. Quick.
  void Nudge() ABSL_LOCKS_EXCLUDED(mutex_);
  // Subscriptions or their delivery states changed on this replica: read
  // them again now (other replicas' changes are read every few seconds).
  void Reload() ABSL_LOCKS_EXCLUDED(mutex_);

  // Sends `subscription` (with its secret) a signed ping now and returns
  // what the receiver answered. Records nothing.
  SendResult Ping(const v1::Subscription& subscription) const;

  // The policy webhook URLs must meet.
  const TargetPolicy& target_policy() const { return options_.webhook.policy; }

 private:
  struct Slot {
    v1::Subscription subscription;  // with its sealed settings
    v1::Subscription::DeliveryStatus status;
    std::string stored_status;  // the stored state as last read or written; "" for none
    bool busy = false;          // a delivery thread has it
    bool removed = false;       // deleted while busy: dropped once its turn ends
  };

  // What one turn of deliveries for a subscription achieved.
  struct Outcome {
    v1::Subscription::DeliveryStatus status;
    bool progressed = false;
  };

  // The recent history, read once for every subscription (as the watch
  // hub does for watchers): all changes with revisions in (from, to].
  // Each record shared, not copied, by the windows and the readers of it.
  using SharedRecord = std::shared_ptr<const ChangeRecord>;
  struct Window {
    int64_t from = -1;  // -1: empty, nothing read yet
    int64_t to = -1;
    std::vector<SharedRecord> records;
  };

  void Dispatch() ABSL_LOCKS_EXCLUDED(mutex_);
  bool HasSlots() ABSL_LOCKS_EXCLUDED(mutex_);
  // Reads what was committed since the window's end into it, dropping the
  // oldest beyond a bound.
  void AdvanceWindow() ABSL_LOCKS_EXCLUDED(window_mutex_);
  // Changes after (revision, name), up to `limit`: from the window when it
  // holds them, else from the store. Fewer than `limit` means caught up
  // with what was read.
  absl::StatusOr<std::vector<SharedRecord>> ReadChanges(int64_t revision, const std::string& name,
                                                        size_t limit)
      ABSL_LOCKS_EXCLUDED(window_mutex_);
  void Work() ABSL_LOCKS_EXCLUDED(mutex_);
  absl::Status LoadSlots() ABSL_LOCKS_EXCLUDED(mutex_);
  // Delivers what is due for `slot` (a copy) and records how far it got.
  void Deliver(const std::string& name, Slot slot) ABSL_LOCKS_EXCLUDED(mutex_);
  // Delivers from the history after `status.delivered_revision`, in order,
  // until caught up, a failure, or a turn's worth; returns the new status
  // (not yet stored). Saves progress through `save` as it goes.
  v1::Subscription::DeliveryStatus DeliverChanges(
      const v1::Subscription& subscription, v1::Subscription::DeliveryStatus status,
      const std::function<bool(const v1::Subscription::DeliveryStatus&)>& save);
  v1::Subscription::DeliveryStatus Failed(v1::Subscription::DeliveryStatus status,
                                          const std::string& name, const std::string& error) const;
  // Stores `status` unless someone else (a replay, a resume) changed the
  // stored state since `expected`; updates `expected`. False if it did
  // not store.
  bool SaveStatus(const std::string& name, const v1::Subscription::DeliveryStatus& status,
                  std::string& expected);

  Store* const store_;
  const NotifierOptions options_;
  const ChangeFeed feed_;
  const WebhookSender webhooks_;
  const EmailSender email_;

  absl::Mutex window_mutex_;
  std::shared_ptr<const Window> window_ ABSL_GUARDED_BY(window_mutex_) = std::make_shared<Window>();

  absl::Mutex mutex_;
  std::map<std::string, Slot> slots_ ABSL_GUARDED_BY(mutex_);
  std::deque<std::string> due_ ABSL_GUARDED_BY(mutex_);
  bool nudged_ ABSL_GUARDED_BY(mutex_) = false;
  bool reload_ ABSL_GUARDED_BY(mutex_) = true;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool started_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_NOTIFY_NOTIFIER_H_
