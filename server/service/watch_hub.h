#ifndef MPOWER_SERVER_SERVICE_WATCH_HUB_H_
#define MPOWER_SERVER_SERVICE_WATCH_HUB_H_

#include <grpcpp/grpcpp.h>

#include <set>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "mpower/v1/change.pb.h"
#include "server/core/access.h"
#include "server/core/change_feed.h"
#include "server/core/credentials.h"
#include "server/storage/store.h"

namespace mpower {

// Serves every WatchChanges stream from one thread, so no stream parks a
// gRPC thread. Each stream pulls from the durable history at its own pace
// with at most one message in flight: a slow or stalled watcher holds no
// growing buffer and delays neither writers nor other watchers; if it falls
// behind the retained history, its stream ends with OUT_OF_RANGE and it
// re-lists. Streams caught up at the same point share one read of each new
// revision. Thread-safe.
class WatchHub {
 public:
  // REQUIRES: `store` and `credentials` outlive the hub. Starts the hub's
  // thread. Streams end UNAUTHENTICATED within seconds of their credential
  // being revoked or expiring.
  // One caller may hold at most `max_streams_per_caller` streams open.
  // `lag_observer`, if set, hears after each round how many revisions the
  // open stream furthest behind the head still has to go (for metrics).
  WatchHub(Store* store, const CredentialManager* credentials, int max_streams_per_caller,
           std::function<void(int64_t)> lag_observer = nullptr);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Starts a stream for `request` on behalf of `caller` (or ends it at once
  // with the error in `caller`).
  // `caller_key` says whose streams it counts against (see
  // Authenticator::CallerKey); RESOURCE_EXHAUSTED beyond the limit.
  // The stream writes serialized WatchChangesResponses.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(const v1::WatchChangesRequest& request,
                                                    absl::StatusOr<Principal> caller,
                                                    const std::string& caller_key);

  // Something was committed: look for new changes.
  void Notify();

  // Ends every stream with UNAVAILABLE and stops the thread. Idempotent.
  void Stop();

 private:
  class Stream;

  // One read of the history, shared by the streams at the same point, with
  // the revision read just before it: the read holds everything through
  // that revision, and nothing later can be promised from it.
  struct Read {
    int64_t current = 0;
    absl::StatusOr<std::vector<ChangeRecord>> records;
  };
  // What one round of serving streams reads: the history at each point,
  // and the resources as they are now, which judge who may see it.
  struct Reads {
    std::map<std::pair<int64_t, std::string>, Read> at;
    CurrentResources current;
    int64_t head = 0;  // the newest revision any stream saw this round
    // The disclosures of protected details the round's messages carry, to
    // record before any of them is sent.
    std::vector<Disclosure> disclosures;
  };

  void Run() ABSL_LOCKS_EXCLUDED(mutex_);
  // Moves `stream` along: prepares a message of what is new or a progress
  // mark, returning true if one is ready to Send, or ends the stream.
  // Runs on the hub thread with no lock held.
  bool Serve(Stream& stream, Reads& reads) ABSL_LOCKS_EXCLUDED(mutex_);
  // Starts writing the message Serve prepared.
  void Send(Stream& stream) ABSL_LOCKS_EXCLUDED(mutex_);
  // Ends `stream` with `status`.
  void End(Stream& stream, const absl::Status& status) ABSL_LOCKS_EXCLUDED(mutex_);
  void Remove(Stream* stream) ABSL_LOCKS_EXCLUDED(mutex_);

  Store* store_;
  const CredentialManager* credentials_;
  const int max_streams_per_caller_;
  const std::function<void(int64_t)> lag_observer_;
  ChangeFeed feed_;
  // Also guards each Stream's flags (writing_, broken_, finished_), which
  // the analysis cannot tie to this mutex through the stream's pointer.
  absl::Mutex mutex_;
  bool pending_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::set<Stream*> streams_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, int> open_streams_by_caller_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_WATCH_HUB_H_
