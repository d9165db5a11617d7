#include "server/daemon/maintenance.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/base/log.h"
#include "server/core/retention.h"

namespace mpower {

MaintenanceScheduler::MaintenanceScheduler(Store* store, const Keyring* keyring,
                                           MaintenanceOptions options)
    : store_(store),
      keyring_(keyring),
      options_(std::move(options)),
      escalator_(store, options_.escalation),
      thread_([this] { Loop(); }) {}

MaintenanceScheduler::~MaintenanceScheduler() { Stop(); }

void MaintenanceScheduler::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void MaintenanceScheduler::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stopping_; };
      mutex_.AwaitWithTimeout(absl::Condition(&stopping), options_.interval);
      if (stopping_) return;
    }
    RunOnce();
  }
}

void MaintenanceScheduler::RunOnce() {
  // With several replicas on one database, one of them does this at a time.
  absl::StatusOr<bool> leading = store_->HoldsMaintenanceLease();
  if (!leading.ok()) {
    FollowKeys(false);
    Log(LogLevel::kWarning, "maintenance",
        absl::StrCat("cannot tell whether to lead: ", leading.status().message()));
    return;
  }
  FollowKeys(*leading);
  if (options_.metrics != nullptr) {
    if (absl::StatusOr<int64_t> bytes = store_->DatabaseBytes(); bytes.ok()) {
      options_.metrics->SetDatabaseBytes(*bytes);
    }
  }
  if (!*leading) return;
  const int64_t keep = options_.history_revisions;
  absl::StatusOr<int64_t> current = store_->CurrentRevision();
  if (keep > 0 && current.ok() && *current > keep) {
    if (absl::Status status = store_->Compact(*current - keep); !status.ok()) {
      Log(LogLevel::kWarning, "maintenance", absl::StrCat("compaction: ", status.message()));
    }
  }
  absl::StatusOr<int> escalated = escalator_.RunOnce(absl::Now());
  if (!escalated.ok()) {
    Log(LogLevel::kWarning, "maintenance",
        absl::StrCat("escalation: ", escalated.status().message()));
  } else if (*escalated > 0) {
    Log(LogLevel::kInfo, "maintenance",
        absl::StrCat("escalated ", *escalated, " unanswered alerts"));
    if (options_.metrics != nullptr) options_.metrics->RecordEscalations(*escalated);
  }
  if (options_.purge_protected_after > absl::ZeroDuration()) {
    absl::StatusOr<int> purged =
        PurgeClosedAlerts(*store_, options_.purge_protected_after, absl::Now());
    if (!purged.ok()) {
      Log(LogLevel::kWarning, "maintenance",
          absl::StrCat("retention: ", purged.status().message()));
    } else if (*purged > 0) {
      Log(LogLevel::kInfo, "maintenance",
          absl::StrCat("purged the protected details of ", *purged, " closed alerts"));
      if (options_.metrics != nullptr) options_.metrics->RecordPurges(*purged);
    }
  }
}

void MaintenanceScheduler::FollowKeys(bool leading) {
  absl::StatusOr<bool> moved = keyring_->Reload();
  if (!moved.ok()) {
    Log(LogLevel::kWarning, "maintenance",
        absl::StrCat("cannot read the key directory: ", moved.status().message()));
  } else if (*moved) {
    Log(LogLevel::kInfo, "maintenance",
        absl::StrCat("sealing with key ", keyring_->current_key_id(), " from now on"));
    reseal_rounds_left_ = kResealRounds;
  }
  if (!leading || reseal_rounds_left_ == 0) return;
  // With one key, nothing can be sealed with another (the store checked
  // every key in use when it opened): no sweep, and no write lock taken.
  if (keyring_->KeyCount() <= 1) {
    reseal_rounds_left_ = 0;
    return;
  }
  absl::StatusOr<int64_t> resealed = store_->ReencryptProtectedData();
  if (!resealed.ok()) {
    Log(LogLevel::kWarning, "maintenance",
        absl::StrCat("re-sealing with the current key: ", resealed.status().message()));
    return;
  }
  if (*resealed > 0) {
    Log(LogLevel::kInfo, "maintenance",
        absl::StrCat("re-sealed ", *resealed, " resources with the current key"));
    reseal_rounds_left_ = kResealRounds;
  } else {
    --reseal_rounds_left_;
  }
}

}  // namespace mpower
