#ifndef MPOWER_SERVER_SERVICE_WORKER_POOL_H_
#define MPOWER_SERVER_SERVICE_WORKER_POOL_H_

// Threads for work that blocks, so it never holds one of gRPC's threads: a
// durable write waits for its group's fsync here, and many waiting at once
// is what lets group commit share one fsync among them. MpowerServer owns
// the one its handlers use. Thread-safe.

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mpower {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  // Runs what is queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `work` on one of the pool's threads, in arrival order.
  void Schedule(std::function<void()> work) ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mutex_);

  absl::Mutex mutex_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_WORKER_POOL_H_
