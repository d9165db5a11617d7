#include "server/storage/group_commit.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace mpower {

void GroupCommit::Submit(PendingWrite& write) {
  Waiter self{&write};
  absl::MutexLock lock(&mutex_);
  queue_.push_back(&self);
  while (!self.done) {
    if (leading_) {
      self.wake.Wait(&mutex_);
      continue;
    }
    // Lead a group: everything queued so far, in arrival order.
    leading_ = true;
    const size_t size = std::min(queue_.size(), max_group_size_);
    std::vector<Waiter*> waiters(queue_.begin(), queue_.begin() + size);
    queue_.erase(queue_.begin(), queue_.begin() + size);
    std::vector<PendingWrite*> group;
    group.reserve(size);
    for (Waiter* waiter : waiters) group.push_back(waiter->write);
    const std::shared_ptr<const Store::GroupCommitObserver> observer = observer_;
    mutex_.Unlock();
    const absl::Time started = absl::Now();
    commit_(group);
    if (observer != nullptr) (*observer)(group.size(), absl::Now() - started);
    mutex_.Lock();
    leading_ = false;
    for (Waiter* waiter : waiters) {
      waiter->done = true;
      if (waiter != &self) waiter->wake.Signal();
    }
    // The next in line leads the next group.
    if (!queue_.empty()) queue_.front()->wake.Signal();
  }
}

void GroupCommit::SetObserver(Store::GroupCommitObserver observer) {
  absl::MutexLock lock(&mutex_);
  observer_ =
      observer ? std::make_shared<const Store::GroupCommitObserver>(std::move(observer)) : nullptr;
}

bool GroupCommit::NeedsSync(const std::vector<PendingWrite*>& group) {
  return std::any_of(group.begin(), group.end(), [](const PendingWrite* write) {
    return write->durability == Durability::kSynced;
  });
}

}  // namespace mpower
