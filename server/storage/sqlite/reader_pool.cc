#include "server/storage/sqlite/reader_pool.h"

namespace mpower::sqlite {

absl::StatusOr<ReaderPool::Lease> ReaderPool::Acquire() {
  {
    absl::MutexLock lock(&mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Database> db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
  }
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path_);
  if (!db.ok()) return db.status();
  return Lease(this, *std::move(db));
}

void ReaderPool::Release(std::unique_ptr<Database> db) {
  absl::MutexLock lock(&mutex_);
  idle_.push_back(std::move(db));
}

}  // namespace mpower::sqlite
