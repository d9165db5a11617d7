#ifndef MPOWER_SERVER_STORAGE_SQLITE_READER_POOL_H_
#define MPOWER_SERVER_STORAGE_SQLITE_READER_POOL_H_

// Read-only use of a database file from many threads: each reader borrows
// a connection of its own (in WAL mode readers never wait for the writer)
// for one scope, and gives it back for the next.

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/storage/sqlite/database.h"

namespace mpower::sqlite {

// Thread-safe.
class ReaderPool {
 public:
  // A connection borrowed for one scope. Movable, not copyable; gives the
  // connection back when it goes out of scope.
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Database> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&& other) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (db_ != nullptr) pool_->Release(std::move(db_));
    }
    Database& operator*() { return *db_; }
    Database* operator->() { return db_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Database> db_;
  };

  explicit ReaderPool(std::string path) : path_(std::move(path)) {}

  // An idle connection, or a new one if none is idle.
  absl::StatusOr<Lease> Acquire() ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  void Release(std::unique_ptr<Database> db) ABSL_LOCKS_EXCLUDED(mutex_);

  const std::string path_;
  absl::Mutex mutex_;
  std::vector<std::unique_ptr<Database>> idle_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mpower::sqlite

#endif  // MPOWER_SERVER_STORAGE_SQLITE_READER_POOL_H_
