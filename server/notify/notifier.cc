#include "server/notify/notifier.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "server/base/log.h"
#include "server/base/status_macros.h"
#include "server/core/subscription_rules.h"
#include "server/notify/notification.h"

namespace mpower {
namespace {

using v1::Subscription;
using DeliveryStatus = v1::Subscription::DeliveryStatus;

// Changes read from the history at a time, and the most one turn of a
// subscription's deliveries goes through before others get a turn.
constexpr size_t kChangesPerRead = 200;
constexpr size_t kChangesPerTurn = 2000;
// The most changes in one email digest.
constexpr size_t kMaxDigest = 100;
// How often the dispatcher looks again without being nudged, and reads
// every subscription again (for other replicas' changes to them).
constexpr absl::Duration kTick = absl::Milliseconds(250);
constexpr absl::Duration kReloadEvery = absl::Seconds(3);
constexpr absl::Duration kLeaseCheckEvery = absl::Seconds(1);
// The most changes the shared window of recent history holds.
constexpr size_t kWindowRecords = 8192;

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(timestamp));
}

bool Due(const DeliveryStatus& status, absl::Time now) {
  return status.state() == Subscription::STATE_ACTIVE &&
         (!status.has_next_attempt_time() || FromTimestamp(status.next_attempt_time()) <= now);
}

DeliveryStatus Succeeded(DeliveryStatus status) {
  status.set_consecutive_failures(0);
  status.clear_last_error();
  status.clear_failing_since();
  status.clear_next_attempt_time();
  *status.mutable_last_delivery_time() = ToTimestamp(absl::Now());
  return status;
}

}  // namespace

absl::Status CheckNotifierOptions(const NotifierOptions& options) {
  MPOWER_RETURN_IF_ERROR(CheckSmtpOptions(options.smtp));
  if (options.retry_for <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--notify-retry-for: must be positive, e.g. 24h");
  }
  if (options.first_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.first_backoff) {
    return absl::InvalidArgumentError(
        "--notify-max-backoff: must be positive and at least the first backoff (1s)");
  }
  if (options.delivery_threads < 1 || options.delivery_threads > 256) {
    return absl::InvalidArgumentError("--notify-threads: must be from 1 to 256");
  }
  return absl::OkStatus();
}

absl::StatusOr<DeliveryStatus> LoadDeliveryStatus(Store& store, absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(std::optional<std::string> stored, store.GetDeliveryState(name));
  DeliveryStatus status;
  if (stored.has_value()) {
    if (!status.ParseFromString(*stored)) {
      return absl::DataLossError(absl::StrCat("the delivery state of ", name, " is unreadable"));
    }
    return status;
  }
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> subscription, store.Get(name));
  status.set_state(Subscription::STATE_ACTIVE);
  status.set_delivered_revision(subscription.has_value() ? subscription->create_revision : 0);
  return status;
}

Notifier::Notifier(Store* store, NotifierOptions options)
    : store_(store),
      options_(std::move(options)),
      feed_(store),
      webhooks_(options_.webhook),
      email_(options_.smtp) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  absl::MutexLock lock(&mutex_);
  if (started_) return;
  started_ = true;
  dispatcher_ = std::thread([this] { Dispatch(); });
  for (int i = 0; i < options_.delivery_threads; ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

void Notifier::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  dispatcher_.join();
  for (std::thread& worker : workers_) worker.join();
}

void Notifier::Nudge() {
  absl::MutexLock lock(&mutex_);
  nudged_ = true;
}

void Notifier::Reload() {
  absl::MutexLock lock(&mutex_);
  reload_ = true;
  nudged_ = true;
}

SendResult Notifier::Ping(const Subscription& subscription) const {
  const std::string id = absl::StrCat("msg_ping_", GenerateResourceId());
  if (subscription.has_email()) {
    return email_.Send(
        {subscription.email().addresses().begin(), subscription.email().addresses().end()},
        "[mpower] test message",
        absl::StrCat("This is a test of the subscription ", subscription.name(),
                     ". Notifications will reach this address.\n"),
        id);
  }
  return webhooks_.Send(subscription.webhook().url(), SigningKey(subscription.signing_secret()), id,
                        PingBody(subscription.name()));
}

absl::Status Notifier::LoadSlots() {
  std::map<std::string, Slot> loaded;
  ListQuery query;
  query.collection = "subscriptions";
  query.limit = 1000;
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(ListResult page, store_->List(query));
    for (const StoredResource& stored : page.items) {
      MPOWER_ASSIGN_OR_RETURN(Subscription subscription,
                              ResourceCodec<Subscription>::Decode(stored));
      Slot& slot = loaded[stored.name];
      slot.subscription = std::move(subscription);
      slot.status.set_state(Subscription::STATE_ACTIVE);
      slot.status.set_delivered_revision(stored.create_revision);
    }
    if (page.resume_after.empty()) break;
    query.after_name = page.resume_after;
  }
  std::string after;
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(std::vector<DeliveryStateRecord> states,
                            store_->ListDeliveryStates(after, 1000));
    for (DeliveryStateRecord& state : states) {
      auto found = loaded.find(state.subscription);
      if (found == loaded.end() || !found->second.status.ParseFromString(state.data)) continue;
      found->second.stored_status = std::move(state.data);
    }
    if (states.size() < 1000) break;
    after = states.back().subscription;
  }
  absl::MutexLock lock(&mutex_);
  for (auto& [name, slot] : loaded) {
    auto existing = slots_.find(name);
    // A subscription being delivered keeps its status: its delivery thread
    // stores it, and reloads if someone else changed it meanwhile.
    if (existing != slots_.end() && existing->second.busy) {
      existing->second.subscription = std::move(slot.subscription);
      existing->second.removed = false;
      continue;
    }
    slots_[name] = std::move(slot);
  }
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (loaded.count(it->first) != 0) {
      ++it;
    } else if (it->second.busy) {
      it->second.removed = true;
      ++it;
    } else {
      it = slots_.erase(it);
    }
  }
  return absl::OkStatus();
}

void Notifier::Dispatch() {
  absl::Time last_load = absl::InfinitePast();
  absl::Time lease_checked = absl::InfinitePast();
  bool holds_lease = false;
  while (true) {
    bool reload = false;
    {
      absl::MutexLock lock(&mutex_);
      const auto woken = [this]()
                             ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return nudged_ || stopping_; };
      mutex_.AwaitWithTimeout(absl::Condition(&woken), kTick);
      if (stopping_) return;
      nudged_ = false;
      reload = reload_;
      reload_ = false;
    }
    const absl::Time now = absl::Now();
    // The lease costs a round trip on PostgreSQL: asked once a second, not
    // at every commit. Held a second longer than it is, it costs at most a
    // duplicate, which at-least-once allows.
    if (now - lease_checked >= kLeaseCheckEvery) {
      absl::StatusOr<bool> lease = store_->HoldsMaintenanceLease();
      holds_lease = lease.ok() && *lease;
      lease_checked = now;
    }
    if (!holds_lease) {
      // Another replica delivers; read everything afresh if this one
      // takes over.
      last_load = absl::InfinitePast();
      absl::MutexLock lock(&window_mutex_);
      window_ = std::make_shared<Window>();
      continue;
    }
    if (reload || now - last_load >= kReloadEvery) {
      if (absl::Status loaded = LoadSlots(); !loaded.ok()) {
        Log(LogLevel::kWarning, "notify",
            absl::StrCat("reading subscriptions: ", loaded.message(), "; trying again"));
        continue;
      }
      last_load = now;
    }
    if (HasSlots()) {
      AdvanceWindow();
    } else {
      // Nobody to deliver to: reading (and unsealing) every commit's
      // changes would cost each write for nothing. The first subscription
      // starts the window at the present, and reads what came before from
      // the store.
      absl::MutexLock lock(&window_mutex_);
      if (window_->from >= 0) window_ = std::make_shared<Window>();
      continue;
    }
    absl::StatusOr<int64_t> current = store_->CurrentRevision();
    if (!current.ok()) continue;
    absl::MutexLock lock(&mutex_);
    for (auto& [name, slot] : slots_) {
      if (slot.busy || slot.status.delivered_revision() >= *current || !Due(slot.status, now)) {
        continue;
      }
      slot.busy = true;
      due_.push_back(name);
    }
  }
}

bool Notifier::HasSlots() {
  absl::MutexLock lock(&mutex_);
  return !slots_.empty();
}

void Notifier::AdvanceWindow() {
  std::shared_ptr<const Window> current;
  {
    absl::MutexLock lock(&window_mutex_);
    current = window_;
  }
  int64_t from = current->from;
  int64_t to = current->to;
  if (from < 0) {
    // Starts at the present: a subscription behind it reads the store.
    absl::StatusOr<int64_t> revision = store_->CurrentRevision();
    if (!revision.ok()) return;
    from = to = *revision;
  }
  std::vector<SharedRecord> added;
  bool restart = false;  // one revision too large for a read: start after it
  while (added.size() < kWindowRecords) {
    absl::StatusOr<std::vector<ChangeRecord>> read = store_->ListChanges(to, "", kChangesPerRead);
    if (!read.ok()) {
      // Compacted past the window, or the database is away: start again.
      absl::MutexLock lock(&window_mutex_);
      window_ = std::make_shared<Window>();
      return;
    }
    if (read->empty()) break;
    // Whole revisions only: the window must hold every change of each.
    const bool last_page = read->size() < kChangesPerRead;
    int64_t complete = read->back().revision;
    if (!last_page) {
      if (read->front().revision == complete) {
        // A revision larger than a read (a big sync): the window starts
        // after it, and those behind read it from the store.
        added.clear();
        restart = true;
        from = to = complete;
        break;
      }
      complete -= 1;
    }
    for (ChangeRecord& record : *read) {
      if (record.revision > complete) break;
      added.push_back(std::make_shared<const ChangeRecord>(std::move(record)));
    }
    to = complete;
    if (last_page) break;
  }
  if (added.empty() && !restart && from == current->from) return;  // nothing new
  auto next = std::make_shared<Window>();
  next->from = from;
  next->to = to;
  if (!restart) next->records = current->records;  // pointers only
  next->records.insert(next->records.end(), added.begin(), added.end());
  // Drops the oldest whole revisions beyond the bound.
  size_t drop = 0;
  while (next->records.size() - drop > kWindowRecords) {
    const int64_t revision = next->records[drop]->revision;
    while (drop < next->records.size() && next->records[drop]->revision == revision) ++drop;
    next->from = revision;
  }
  next->records.erase(next->records.begin(), next->records.begin() + drop);
  absl::MutexLock lock(&window_mutex_);
  window_ = std::move(next);
}

absl::StatusOr<std::vector<Notifier::SharedRecord>> Notifier::ReadChanges(int64_t revision,
                                                                          const std::string& name,
                                                                          size_t limit) {
  std::shared_ptr<const Window> window;
  {
    absl::MutexLock lock(&window_mutex_);
    window = window_;
  }
  std::vector<SharedRecord> records;
  // At the window's end, what comes next is not in it yet: the store has it.
  if (window->from < 0 || revision < window->from || revision >= window->to) {
    MPOWER_ASSIGN_OR_RETURN(std::vector<ChangeRecord> read,
                            store_->ListChanges(revision, name, limit));
    for (ChangeRecord& record : read) {
      records.push_back(std::make_shared<const ChangeRecord>(std::move(record)));
    }
    return records;
  }
  // The first record after (revision, name); after every change of
  // `revision` when `name` is empty, as Store::ListChanges.
  const auto first = std::upper_bound(
      window->records.begin(), window->records.end(), std::make_pair(revision, name),
      [](const std::pair<int64_t, std::string>& position, const SharedRecord& record) {
        return position.first < record->revision ||
               (position.first == record->revision && !position.second.empty() &&
                position.second < record->resource.name);
      });
  for (auto it = first; it != window->records.end() && records.size() < limit; ++it) {
    records.push_back(*it);
  }
  return records;
}

void Notifier::Work() {
  while (true) {
    std::string name;
    Slot slot;
    {
      absl::MutexLock lock(&mutex_);
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return !due_.empty() || stopping_;
      };
      mutex_.Await(absl::Condition(&ready));
      // Stopping: what is queued waits for the next start, where the
      // stored positions say it begins.
      if (stopping_) return;
      name = std::move(due_.front());
      due_.pop_front();
      slot = slots_[name];
    }
    Deliver(name, std::move(slot));
  }
}

void Notifier::Deliver(const std::string& name, Slot slot) {
  std::string expected = slot.stored_status;
  bool conflict = false;
  const auto save = [&](const DeliveryStatus& status) {
    if (!SaveStatus(name, status, expected)) conflict = true;
    return !conflict;
  };
  DeliveryStatus status = DeliverChanges(slot.subscription, slot.status, save);
  if (!conflict) save(status);
  absl::MutexLock lock(&mutex_);
  auto found = slots_.find(name);
  if (found == slots_.end()) return;
  if (found->second.removed) {
    slots_.erase(found);
    return;
  }
  found->second.busy = false;
  if (conflict) {
    reload_ = true;  // a replay, a resume or a delete: read it again
    nudged_ = true;
    return;
  }
  found->second.status = status;
  found->second.stored_status = expected;
  nudged_ = true;  // there may be more
}

DeliveryStatus Notifier::DeliverChanges(const Subscription& subscription, DeliveryStatus status,
                                        const std::function<bool(const DeliveryStatus&)>& save) {
  const std::string& name = subscription.name();
  const bool email = subscription.has_email();
  int64_t cursor_revision = status.delivered_revision();
  std::string cursor_name;
  // Every change through this revision has been delivered (or skipped).
  int64_t done_through = status.delivered_revision();
  // The revision whose changes are being gone through.
  int64_t in_progress = done_through;
  std::vector<Notification> digest;
  bool sent_since_save = false;
  size_t seen = 0;
  bool caught_up = false;
  while (!caught_up && seen < kChangesPerTurn) {
    absl::StatusOr<std::vector<SharedRecord>> records =
        ReadChanges(cursor_revision, cursor_name, kChangesPerRead);
    if (absl::IsOutOfRange(records.status())) {
      status = Failed(status, name,
                      absl::StrCat("the changes after revision ", done_through,
                                   " were compacted away before they could be delivered; update "
                                   "the subscription to resume from the oldest revision held"));
      status.set_state(Subscription::STATE_FAILING);
      status.clear_next_attempt_time();
      return status;
    }
    if (!records.ok()) {
      return Failed(status, name,
                    absl::StrCat("reading the history: ", records.status().message()));
    }
    caught_up = records->size() < kChangesPerRead;
    for (const SharedRecord& shared : *records) {
      const ChangeRecord& record = *shared;
      if (record.revision != in_progress) {
        // Every change of the revision before this one has been gone through.
        done_through = in_progress;
        in_progress = record.revision;
        // Recorded after each delivery, so a crash repeats at most the one
        // in flight; skipped changes are recorded at the end of the turn.
        if (sent_since_save) {
          status.set_delivered_revision(done_through);
          if (!save(status)) return status;
          sent_since_save = false;
        }
      }
      cursor_revision = record.revision;
      cursor_name = record.resource.name;
      ++seen;
      absl::StatusOr<std::optional<Notification>> notification =
          SelectNotification(*store_, feed_, subscription, record);
      if (!notification.ok()) {
        status.set_delivered_revision(done_through);
        return Failed(status, name,
                      absl::StrCat("preparing revision ", record.revision, ": ",
                                   notification.status().message()));
      }
      if (!notification->has_value()) continue;
      if (email) {
        digest.push_back(**std::move(notification));
        if (digest.size() == kMaxDigest) {
          caught_up = false;
          break;
        }
        continue;
      }
      const SendResult sent =
          webhooks_.Send(subscription.webhook().url(), SigningKey(subscription.signing_secret()),
                         MessageId(name, **notification), WebhookBody(**notification));
      if (options_.observe_attempt) options_.observe_attempt(sent.delivered);
      if (!sent.delivered) {
        status.set_delivered_revision(done_through);
        return Failed(status, name, sent.error);
      }
      status = Succeeded(std::move(status));
      sent_since_save = true;
    }
    if (email && digest.size() == kMaxDigest) break;
  }
  // Caught up with the history: the last revision is wholly gone through.
  // (Cut short, it may not be: it is gone through again next turn.)
  if (caught_up || seen == 0) done_through = in_progress;
  if (email && !digest.empty()) {
    if (digest.size() == kMaxDigest) {
      // A full digest ends with a whole revision: the rest of the last one
      // comes in the next. Unless one revision filled it (a large sync):
      // then the digest says there is more, and goes on after it.
      const int64_t last = digest.back().change.revision();
      if (digest.front().change.revision() == last) {
        done_through = last;
        digest.back().event_type += " (and more changes of this revision: mpower changes list)";
      } else {
        done_through = last - 1;
        while (digest.back().change.revision() == last) digest.pop_back();
      }
    }
    const absl::Time now = absl::Now();
    if (status.has_last_delivery_time() &&
        now < FromTimestamp(status.last_delivery_time()) + options_.email_digest_interval) {
      // One message per interval at most: the rest waits for the digest.
      *status.mutable_next_attempt_time() =
          ToTimestamp(FromTimestamp(status.last_delivery_time()) + options_.email_digest_interval);
      return status;
    }
    {
      const EmailText text = EmailFor(digest);
      const SendResult sent = email_.Send(
          {subscription.email().addresses().begin(), subscription.email().addresses().end()},
          text.subject, text.body, MessageId(name, digest.back()));
      if (options_.observe_attempt) options_.observe_attempt(sent.delivered);
      if (!sent.delivered) return Failed(status, name, sent.error);
      status = Succeeded(std::move(status));
    }
  }
  status.set_delivered_revision(std::max(status.delivered_revision(), done_through));
  status.clear_next_attempt_time();
  return status;
}

DeliveryStatus Notifier::Failed(DeliveryStatus status, const std::string& name,
                                const std::string& error) const {
  const absl::Time now = absl::Now();
  if (status.consecutive_failures() == 0) *status.mutable_failing_since() = ToTimestamp(now);
  status.set_consecutive_failures(status.consecutive_failures() + 1);
  status.set_last_error(error);
  if (now - FromTimestamp(status.failing_since()) >= options_.retry_for) {
    status.set_state(Subscription::STATE_FAILING);
    status.clear_next_attempt_time();
    if (options_.observe_failing) options_.observe_failing();
    Log(LogLevel::kWarning, "notify",
        absl::StrCat(name, " is failing and stops: deliveries failed since ",
                     absl::FormatTime(FromTimestamp(status.failing_since())), "; last: ", error,
                     ". Update the subscription to resume"));
    return status;
  }
  absl::Duration backoff = options_.first_backoff;
  for (int i = 1; i < status.consecutive_failures() && backoff < options_.max_backoff; ++i) {
    backoff *= 2;
  }
  backoff = std::min(backoff, options_.max_backoff);
  thread_local std::mt19937_64 random(std::random_device{}());
  const absl::Duration wait =
      backoff / 2 + absl::Microseconds(std::uniform_int_distribution<int64_t>(
                        0, absl::ToInt64Microseconds(backoff / 2))(random));
  *status.mutable_next_attempt_time() = ToTimestamp(now + wait);
  Log(LogLevel::kWarning, "notify",
      absl::StrCat(name, ": delivery failed (", error, "); attempt ", status.consecutive_failures(),
                   ", next in ", absl::FormatDuration(wait)));
  return status;
}

bool Notifier::SaveStatus(const std::string& name, const DeliveryStatus& status,
                          std::string& expected) {
  const std::string data = status.SerializeAsString();
  if (data == expected) return true;
  bool stored = false;
  const absl::Status written =
      store_
          ->Write(Durability::kProcessCrashSafe,
                  [&](WriteTransaction& txn) -> absl::Status {
                    MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> subscription,
                                            txn.Get(name));
                    if (!subscription.has_value()) return absl::OkStatus();  // deleted
                    MPOWER_ASSIGN_OR_RETURN(std::optional<std::string> current,
                                            txn.GetDeliveryState(name));
                    if (current.value_or("") != expected) return absl::OkStatus();
                    stored = true;
                    return txn.PutDeliveryState(name, data);
                  })
          .status();
  if (!written.ok()) {
    Log(LogLevel::kWarning, "notify",
        absl::StrCat(name, ": recording delivery progress: ", written.message(),
                     "; what was delivered since may be delivered again"));
    return true;  // keep going; the next save records it
  }
  if (stored) expected = data;
  return stored;
}

}  // namespace mpower
