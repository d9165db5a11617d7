#include "server/service/watch_hub.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/service/message_bytes.h"
#include "server/service/status_conversion.h"

namespace mpower {
namespace {

// Changes read per step; a revision with more is sent in several messages.
constexpr size_t kBatch = 512;
constexpr absl::Duration kDefaultProgressInterval = absl::Seconds(10);
// How often the hub looks for streams owed a progress mark.
constexpr absl::Duration kTick = absl::Milliseconds(50);
// How often a stream's credential is checked again for revocation.
constexpr absl::Duration kCredentialRecheck = absl::Seconds(2);

}  // namespace

// One WatchChanges call. The hub thread alone starts writes and finishes;
// gRPC's callbacks only flag what happened and wake the hub.
class WatchHub::Stream : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  Stream(WatchHub* hub, Principal caller, ChangeSelection selection, int64_t after,
         absl::Duration interval)
      : hub_(hub),
        caller_(std::move(caller)),
        selection_(std::move(selection)),
        cursor_revision_(after),
        complete_through_(after),
        interval_(interval),
        // The first progress mark goes out at once: the watcher learns where
        // it starts.
        last_sent_(absl::InfinitePast()),
        last_credential_check_(absl::Now()) {}

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&hub_->mutex_);
      writing_ = false;
      if (!ok) broken_ = true;
    }
    hub_->Notify();
  }
  void OnCancel() override {
    {
      absl::MutexLock lock(&hub_->mutex_);
      broken_ = true;
    }
    hub_->Notify();
  }
  void OnDone() override {
    hub_->Remove(this);
    delete this;
  }

 private:
  friend class WatchHub;

  WatchHub* hub_;
  const Principal caller_;
  const ChangeSelection selection_;
  // Where the next read starts: after (revision, name).
  int64_t cursor_revision_;
  std::string cursor_name_;
  // Every change through this revision has been sent.
  int64_t complete_through_;
  const absl::Duration interval_;
  absl::Time last_sent_;
  absl::Time last_credential_check_;
  v1::WatchChangesResponse message_;  // the one in flight
  bool message_discloses_ = false;    // it carries protected details
  grpc::ByteBuffer message_bytes_;    // and as it is sent
  // Guarded by the hub's mutex:
  bool writing_ = false;
  bool broken_ = false;     // cancelled, or a write failed
  bool finished_ = false;   // Finish called; waiting for OnDone
  std::string caller_key_;  // set when counted against its caller's limit
};

WatchHub::WatchHub(Store* store, const CredentialManager* credentials, int max_streams_per_caller,
                   std::function<void(int64_t)> lag_observer)
    : store_(store),
      credentials_(credentials),
      max_streams_per_caller_(max_streams_per_caller),
      lag_observer_(std::move(lag_observer)),
      feed_(store),
      thread_([this] { Run(); }) {}

WatchHub::~WatchHub() { Stop(); }

grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchHub::Watch(const v1::WatchChangesRequest& request,
                                                            absl::StatusOr<Principal> caller,
                                                            const std::string& caller_key) {
  absl::Status status = caller.status();
  absl::StatusOr<ChangeSelection> selection = ChangeSelection::FromProto(request.filter());
  if (status.ok()) status = RequireReader(*caller);
  if (status.ok()) status = selection.status();
  if (status.ok() && request.after_revision() < 0) {
    status = absl::InvalidArgumentError("after_revision: must not be negative");
  }
  const int32_t interval_ms = request.progress_interval_ms();
  if (status.ok() && interval_ms != 0 && (interval_ms < 100 || interval_ms > 60000)) {
    status = absl::InvalidArgumentError("progress_interval_ms: must be 0 or 100 to 60000");
  }
  int64_t after = request.after_revision();
  if (status.ok() && request.start_now()) {
    absl::StatusOr<int64_t> current = store_->CurrentRevision();
    status = current.status();
    if (current.ok()) after = *current;
  }
  auto* stream =
      new Stream(this, status.ok() ? *caller : Principal::Anonymous(),
                 status.ok() ? *selection : ChangeSelection{}, after,
                 interval_ms == 0 ? kDefaultProgressInterval : absl::Milliseconds(interval_ms));
  absl::MutexLock lock(&mutex_);
  if (status.ok() && stopping_) {
    status = absl::UnavailableError("the server is shutting down; watch again shortly");
  }
  if (status.ok() && open_streams_by_caller_[caller_key] >= max_streams_per_caller_) {
    status =
        absl::ResourceExhaustedError(absl::StrCat("at most ", max_streams_per_caller_,
                                                  " open watch streams per caller; close one, or "
                                                  "watch several collections on one stream"));
  }
  if (status.ok()) {
    ++open_streams_by_caller_[caller_key];
    stream->caller_key_ = caller_key;
  }
  streams_.insert(stream);
  if (!status.ok()) {
    stream->finished_ = true;
    stream->Finish(ToGrpcStatus(status, "WatchChanges"));
  } else {
    pending_ = true;
  }
  return stream;
}

void WatchHub::Notify() {
  absl::MutexLock lock(&mutex_);
  pending_ = true;  // wakes Run, whose condition reads it
}

void WatchHub::Remove(Stream* stream) {
  absl::MutexLock lock(&mutex_);
  streams_.erase(stream);
  if (!stream->caller_key_.empty() && --open_streams_by_caller_[stream->caller_key_] == 0) {
    open_streams_by_caller_.erase(stream->caller_key_);
  }
}

void WatchHub::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  thread_.join();
  absl::MutexLock lock(&mutex_);
  for (Stream* stream : streams_) {
    if (stream->finished_) continue;
    stream->finished_ = true;
    stream->Finish(ToGrpcStatus(
        absl::UnavailableError(absl::StrCat("the server is shutting down; watch again after "
                                            "revision ",
                                            stream->complete_through_)),
        "WatchChanges"));
  }
}

void WatchHub::Run() {
  while (true) {
    std::vector<Stream*> ready;
    {
      absl::MutexLock lock(&mutex_);
      const auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return pending_ || stopping_;
      };
      mutex_.AwaitWithTimeout(absl::Condition(&woken), kTick);
      if (stopping_) return;
      pending_ = false;
      for (Stream* stream : streams_) {
        if (stream->finished_) continue;
        if (stream->broken_) {
          stream->finished_ = true;
          stream->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
          continue;
        }
        if (!stream->writing_) ready.push_back(stream);
      }
    }
    // Streams at the same point share one read.
    Reads reads;
    std::vector<Stream*> prepared;
    for (Stream* stream : ready) {
      if (Serve(*stream, reads)) prepared.push_back(stream);
    }
    // The round's disclosures of protected details, in one write: a
    // backlog of protected alerts to one stream costs the other streams
    // one commit, not one per alert. Nothing disclosed leaves unrecorded.
    const absl::Status recorded = RecordDisclosures(*store_, reads.disclosures);
    for (Stream* stream : prepared) {
      if (!recorded.ok() && stream->message_discloses_) {
        End(*stream, recorded);
      } else {
        Send(*stream);
      }
    }
    if (lag_observer_ != nullptr) {
      // Streams still writing were not served, and are the ones behind.
      int64_t lag = 0;
      if (reads.head > 0) {
        absl::MutexLock lock(&mutex_);
        for (const Stream* stream : streams_) {
          if (!stream->finished_) lag = std::max(lag, reads.head - stream->complete_through_);
        }
      }
      lag_observer_(lag);
    }
  }
}

void WatchHub::End(Stream& stream, const absl::Status& status) {
  absl::MutexLock lock(&mutex_);
  stream.finished_ = true;
  stream.Finish(ToGrpcStatus(status, "WatchChanges"));
}

bool WatchHub::Serve(Stream& stream, Reads& reads) {
  const auto finish = [&](const absl::Status& status) {
    End(stream, status);
    return false;
  };
  if (absl::Now() - stream.last_credential_check_ >= kCredentialRecheck) {
    stream.last_credential_check_ = absl::Now();
    if (absl::Status valid = credentials_->CheckStillValid(stream.caller_); !valid.ok()) {
      return finish(valid);
    }
  }
  absl::StatusOr<int64_t> current = store_->CurrentRevision();
  if (!current.ok()) return finish(current.status());
  reads.head = std::max(reads.head, *current);
  const bool behind = *current > stream.complete_through_;
  const bool progress_due = absl::Now() - stream.last_sent_ >= stream.interval_;
  if (!behind && !progress_due) return false;

  stream.message_.Clear();
  stream.message_discloses_ = false;
  if (behind) {
    const auto key = std::make_pair(stream.cursor_revision_, stream.cursor_name_);
    auto read = reads.at.find(key);
    if (read == reads.at.end()) {
      Read fresh;
      fresh.current = *current;
      fresh.records = store_->ListChanges(key.first, key.second, kBatch);
      read = reads.at.emplace(key, std::move(fresh)).first;
    }
    if (!read->second.records.ok()) return finish(read->second.records.status());
    const std::vector<ChangeRecord>& records = *read->second.records;
    const bool full = records.size() >= kBatch;
    // A full batch may stop inside its last revision. Its changes of that
    // revision wait for the next message, so that every message ends on a
    // whole revision and a watcher resuming after a message's `revision`
    // gets none of its changes again: unless the batch holds nothing else,
    // one revision of more than kBatch changes, the one repeat change.proto
    // allows.
    size_t whole = records.size();
    if (full) {
      while (whole > 0 && records[whole - 1].revision == records.back().revision) --whole;
    }
    const size_t taken = whole > 0 ? whole : records.size();
    const size_t disclosed_before = reads.disclosures.size();
    for (size_t i = 0; i < taken; ++i) {
      const ChangeRecord& record = records[i];
      absl::StatusOr<std::optional<v1::Change>> change = feed_.Render(
          stream.caller_, record, stream.selection_, &reads.current, &reads.disclosures);
      if (!change.ok()) {
        reads.disclosures.resize(disclosed_before);
        return finish(change.status());
      }
      if (change->has_value()) *stream.message_.add_changes() = **std::move(change);
      stream.cursor_revision_ = record.revision;
      stream.cursor_name_ = record.resource.name;
    }
    stream.message_discloses_ = reads.disclosures.size() > disclosed_before;
    if (!full) {
      // Everything through the revision read before the read is here.
      stream.complete_through_ = std::max({read->second.current, stream.complete_through_,
                                           records.empty() ? 0 : records.back().revision});
      stream.cursor_revision_ = stream.complete_through_;
      stream.cursor_name_.clear();
    } else if (taken < records.size()) {
      // Every revision through the last one taken is whole.
      stream.complete_through_ = std::max(stream.complete_through_, stream.cursor_revision_);
      stream.cursor_name_.clear();
    } else {
      // One revision fills the batch, and may go on in the next.
      stream.complete_through_ = std::max(stream.complete_through_, records.back().revision - 1);
    }
  }
  if (stream.message_.changes().empty() && !progress_due) return false;
  stream.message_.set_revision(stream.complete_through_);
  return true;
}

void WatchHub::Send(Stream& stream) {
  stream.last_sent_ = absl::Now();
  absl::MutexLock lock(&mutex_);
  if (stream.broken_ || stream.finished_) return;
  stream.writing_ = true;
  stream.message_bytes_ = SerializeMessage(stream.message_);
  stream.StartWrite(&stream.message_bytes_);
  // More may be waiting behind this batch: come back when the write is done.
  pending_ = true;
}

}  // namespace mpower
