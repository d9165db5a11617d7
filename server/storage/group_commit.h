#ifndef MPOWER_SERVER_STORAGE_GROUP_COMMIT_H_
#define MPOWER_SERVER_STORAGE_GROUP_COMMIT_H_

// Group commit, for any backend: concurrent writers queue up, and one of
// them at a time leads, committing everything queued so far as one group,
// so the group shares one transaction and one flush to disk.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/storage/store.h"

namespace mpower {

// Thread-safe.
class GroupCommit {
 public:
  // One Store::Write call, waiting for or in a group.
  struct PendingWrite {
    const std::function<absl::Status(WriteTransaction&)>* body;
    Durability durability = Durability::kSynced;
    // Set by the backend's commit function.
    absl::StatusOr<int64_t> result = absl::InternalError("not run");
    // Set by the backend's commit function when the write committed and
    // rewrote stored copies (WriteTransaction::RewriteCopies): the space the
    // old copies held is to be overwritten before the write returns.
    bool rewrote_copies = false;
  };
  // Commits `group` (in arrival order) and sets each write's result. Called
  // by one leader at a time.
  using CommitFunction = std::function<void(const std::vector<PendingWrite*>& group)>;

  // At most `max_group_size` writes go in one group, which bounds how long
  // one transaction holds the writer.
  GroupCommit(CommitFunction commit, size_t max_group_size)
      : commit_(std::move(commit)), max_group_size_(max_group_size) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues `write` and returns once a group holding it has been committed,
  // leading that group itself when no other writer is leading one.
  void Submit(PendingWrite& write) ABSL_LOCKS_EXCLUDED(mutex_);

  // Calls `observer` after each group is committed (Store's contract).
  void SetObserver(Store::GroupCommitObserver observer) ABSL_LOCKS_EXCLUDED(mutex_);

  // Whether any write of `group` must be on stable storage when it returns.
  static bool NeedsSync(const std::vector<PendingWrite*>& group);

 private:
  // A queued write and its own wake-up: each waiter is woken alone, when
  // its group is done or when it is first in line and nobody leads. Waking
  // every waiter on each commit cost a storm of futex wake-ups for nothing.
  struct Waiter {
    PendingWrite* write;
    bool done = false;
    absl::CondVar wake;
  };

  const CommitFunction commit_;
  const size_t max_group_size_;
  absl::Mutex mutex_;
  std::deque<Waiter*> queue_ ABSL_GUARDED_BY(mutex_);
  bool leading_ ABSL_GUARDED_BY(mutex_) = false;
  std::shared_ptr<const Store::GroupCommitObserver> observer_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_GROUP_COMMIT_H_
