#include "server/service/sync_reactor.h"

#include "absl/strings/str_cat.h"
#include "server/service/message_bytes.h"
#include "server/service/status_conversion.h"

namespace mpower {

SyncReactor::SyncReactor(CommitmentSync* sync, absl::StatusOr<Principal> caller) : sync_(sync) {
  if (!caller.ok()) {
    Finish(ToGrpcStatus(caller.status(), "SyncCommitments"));
    return;
  }
  caller_ = *std::move(caller);
  StartRead(&chunk_bytes_);
}

void SyncReactor::OnReadDone(bool ok) {
  if (!ok) {
    // The client has sent the whole set. (A chunk that does not parse
    // cannot end up here, so a set cut short is never applied.)
    worker_ = std::thread([this] { Apply(); });
    return;
  }
  ++chunks_read_;
  if (absl::Status parsed = ParseMessage(chunk_bytes_, &chunk_); !parsed.ok()) {
    Finish(ToGrpcStatus(
        absl::InvalidArgumentError(absl::StrCat("message ", chunks_read_, " of the sync (",
                                                parsed.message(), "); nothing was applied")),
        "SyncCommitments"));
    return;
  }
  if (first_chunk_) {
    request_.parent = chunk_.parent();
    request_.mirror = chunk_.mirror();
    request_.validate_only = chunk_.validate_only();
    request_.fields.assign(chunk_.update_mask().paths().begin(),
                           chunk_.update_mask().paths().end());
    first_chunk_ = false;
  } else if ((!chunk_.parent().empty() && chunk_.parent() != request_.parent) ||
             chunk_.mirror() != request_.mirror ||
             chunk_.validate_only() != request_.validate_only) {
    Finish(ToGrpcStatus(
        absl::InvalidArgumentError("every chunk of a sync must name the same parent, mirror and "
                                   "validate_only as the first, or leave parent empty"),
        "SyncCommitments"));
    return;
  }
  if (request_.items.size() + chunk_.commitments_size() > kMaxItems) {
    Finish(ToGrpcStatus(absl::ResourceExhaustedError(
                            absl::StrCat("a sync takes at most ", kMaxItems,
                                         " commitments; split the set by partner or period")),
                        "SyncCommitments"));
    return;
  }
  for (v1::Commitment& commitment : *chunk_.mutable_commitments()) {
    request_.items.push_back(std::move(commitment));
  }
  chunk_.Clear();
  StartRead(&chunk_bytes_);
}

void SyncReactor::Apply() {
  absl::StatusOr<SyncResult> result = sync_->Run(caller_, request_);
  request_.items.clear();
  if (!result.ok()) {
    Finish(ToGrpcStatus(result.status(), "SyncCommitments"));
    return;
  }
  // The status names the first invalid item and field, so even a client
  // that reads only the status learns what to fix.
  std::string first_problem;
  for (const v1::SyncOutcome& outcome : result->outcomes) {
    if (outcome.kind() != v1::SyncOutcome::KIND_INVALID || outcome.violations().empty()) continue;
    first_problem = absl::StrCat("; the first is item ", outcome.index(), " (",
                                 outcome.external_id(), "): ", outcome.violations(0).field(), ": ",
                                 outcome.violations(0).description());
    break;
  }
  for (size_t i = 0; i < result->outcomes.size(); i += kOutcomesPerMessage) {
    v1::SyncCommitmentsResponse& response = responses_.emplace_back();
    for (size_t k = i; k < result->outcomes.size() && k < i + kOutcomesPerMessage; ++k) {
      *response.add_outcomes() = std::move(result->outcomes[k]);
    }
  }
  if (responses_.empty()) responses_.emplace_back();
  *responses_.back().mutable_summary() = result->summary;
  if (result->summary.invalid() > 0) {
    final_status_ = ToGrpcStatus(
        absl::InvalidArgumentError(absl::StrCat(result->summary.invalid(),
                                                " of the items are invalid, so nothing was "
                                                "applied; the outcomes name each item and field",
                                                first_problem)),
        "SyncCommitments");
  }
  WriteNext();
}

void SyncReactor::WriteNext() {
  if (next_response_ < responses_.size()) {
    response_bytes_ = SerializeMessage(responses_[next_response_++]);
    StartWrite(&response_bytes_);
  } else {
    Finish(final_status_);
  }
}

void SyncReactor::OnWriteDone(bool ok) {
  if (!ok) {
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
    return;
  }
  WriteNext();
}

void SyncReactor::OnDone() {
  if (worker_.joinable()) {
    if (worker_.get_id() == std::this_thread::get_id()) {
      worker_.detach();
    } else {
      worker_.join();
    }
  }
  delete this;
}

}  // namespace mpower
