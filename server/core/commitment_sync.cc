#include "server/core/commitment_sync.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/base/status_macros.h"
#include "server/core/audit.h"
#include "server/core/commitment_rules.h"

namespace mpower {
namespace {

using v1::Commitment;
using v1::SyncOutcome;
using Codec = ResourceCodec<Commitment>;
using Traits = ResourceTraits<Commitment>;

// Aborts the transaction of a dry run once every outcome is known.
const absl::Status kDryRun = absl::AbortedError("dry run");

// How many items' stored commitments one lookup fetches: on PostgreSQL a
// round trip per batch rather than per item.
constexpr size_t kLookupBatch = 1000;

google::protobuf::FieldMask MutableFieldsMask() {
  google::protobuf::FieldMask mask;
  for (const std::string& path : Traits::MutableFields()) mask.add_paths(path);
  return mask;
}

void MarkInvalid(SyncOutcome& outcome, absl::string_view field, absl::string_view description) {
  outcome.set_kind(SyncOutcome::KIND_INVALID);
  outcome.clear_name();
  SyncOutcome::Violation* violation = outcome.add_violations();
  violation->set_field(std::string(field));
  violation->set_description(std::string(description));
}

// The field a reference check's NOT_FOUND names ("commitment.initiative:
// initiatives/x does not exist" -> "commitment.initiative").
void MarkMissingReference(SyncOutcome& outcome, const absl::Status& status) {
  const std::string message(status.message());
  const size_t colon = message.find(": ");
  MarkInvalid(outcome, message.substr(0, colon),
              colon == std::string::npos ? message : message.substr(colon + 2));
}

}  // namespace

absl::StatusOr<SyncResult> CommitmentSync::Run(const Principal& caller,
                                               const SyncRequest& request) {
  MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
  MPOWER_ASSIGN_OR_RETURN(std::string parent,
                          ParseParent(request.parent, kCommitmentName, false, "parent"));
  MPOWER_RETURN_IF_ERROR(RequireEditorOf(caller, parent, absl::StrCat(parent, "'s commitments")));

  google::protobuf::FieldMask mutable_fields = MutableFieldsMask();
  if (!request.fields.empty()) {
    FieldViolations violations;
    mutable_fields.Clear();
    for (size_t i = 0; i < request.fields.size(); ++i) {
      const auto& allowed = Traits::MutableFields();
      if (std::find(allowed.begin(), allowed.end(), request.fields[i]) == allowed.end()) {
        violations.Add(absl::StrCat("update_mask.paths[", i, "]"), "not a field a client may set");
      }
      mutable_fields.add_paths(request.fields[i]);
    }
    MPOWER_RETURN_IF_ERROR(violations.ToStatus());
    if (std::find(request.fields.begin(), request.fields.end(), "external_id") ==
        request.fields.end()) {
      mutable_fields.add_paths("external_id");  // the key always comes along
    }
  }

  // Validate every item before touching the store.
  SyncResult result;
  std::vector<Commitment> items;
  std::map<std::string, int> first_index;
  for (size_t i = 0; i < request.items.size(); ++i) {
    SyncOutcome& outcome = result.outcomes.emplace_back();
    outcome.set_index(static_cast<int32_t>(i));
    const Commitment& input = request.items[i];
    outcome.set_external_id(input.external_id());
    Commitment item;
    google::protobuf::util::FieldMaskUtil::MergeMessageTo(
        input, mutable_fields, google::protobuf::util::FieldMaskUtil::MergeOptions(), &item);
    if (item.external_id().empty()) {
      MarkInvalid(outcome, "commitment.external_id", "required for sync: the key of each item");
    } else if (auto [at, added] = first_index.emplace(item.external_id(), i); !added) {
      MarkInvalid(outcome, "commitment.external_id",
                  absl::StrCat("appears more than once in the set (first at index ", at->second,
                               "); each external id may appear once"));
    }
    items.push_back(std::move(item));
  }

  // Mirror mode: the partner's synced commitments absent from the set.
  std::vector<std::string> absent;
  if (request.mirror) {
    ListQuery query;
    query.collection = "commitments";
    query.parent = parent;
    query.limit = SIZE_MAX;
    query.max_scanned = SIZE_MAX;
    query.predicate = [&](const StoredResource& stored) {
      return !stored.external_id.empty() && first_index.count(stored.external_id) == 0;
    };
    MPOWER_ASSIGN_OR_RETURN(ListResult live, store_->List(query));
    for (const StoredResource& stored : live.items) absent.push_back(stored.name);
  }

  bool invalid = std::any_of(result.outcomes.begin(), result.outcomes.end(),
                             [](const auto& o) { return o.kind() == SyncOutcome::KIND_INVALID; });
  absl::StatusOr<int64_t> written = store_->Write([&](WriteTransaction& txn) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> owner, txn.Get(parent));
    if (!owner.has_value())
      return absl::NotFoundError(absl::StrCat("parent: ", parent, " does not exist"));
    if (owner->deleted) {
      return absl::FailedPreconditionError(absl::StrCat("parent: ", parent, " is deleted"));
    }
    const google::protobuf::Timestamp now = TimestampNow();
    // The stored commitments of the items, looked up a batch at a time.
    absl::flat_hash_map<std::string, StoredResource> stored_batch;
    size_t batch_end = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i == batch_end) {
        batch_end = std::min(items.size(), i + kLookupBatch);
        std::vector<std::string> external_ids;
        for (size_t j = i; j < batch_end; ++j) {
          if (result.outcomes[j].kind() != SyncOutcome::KIND_INVALID) {
            external_ids.push_back(items[j].external_id());
          }
        }
        MPOWER_ASSIGN_OR_RETURN(stored_batch,
                                txn.FindByExternalIds("commitments", parent, external_ids));
      }
      SyncOutcome& outcome = result.outcomes[i];
      if (outcome.kind() == SyncOutcome::KIND_INVALID) continue;
      Commitment& item = items[i];
      std::optional<StoredResource> existing;
      if (auto found = stored_batch.find(item.external_id()); found != stored_batch.end()) {
        existing = std::move(found->second);
      }
      Commitment next;
      int64_t create_revision = txn.revision();
      if (!existing.has_value()) {
        next = std::move(item);
        Traits::ApplyDefaults(next);
        next.set_name(
            request.validate_only ? "" : MakeName(parent, kCommitmentName, GenerateResourceId()));
        *next.mutable_create_time() = now;
        outcome.set_kind(SyncOutcome::KIND_CREATED);
      } else {
        MPOWER_ASSIGN_OR_RETURN(Commitment current, Codec::Decode(*existing));
        next = current;
        google::protobuf::util::FieldMaskUtil::MergeOptions replace;
        replace.set_replace_message_fields(true);
        replace.set_replace_repeated_fields(true);
        google::protobuf::util::FieldMaskUtil::MergeMessageTo(item, mutable_fields, replace, &next);
        next.clear_delete_time();
        Traits::ApplyDefaults(next);  // an item without a status means the default, as on create
        outcome.set_name(next.name());
        MPOWER_RETURN_IF_ERROR(Traits::Derive(next));
        if (!existing->deleted &&
            google::protobuf::util::MessageDifferencer::Equals(next, current)) {
          outcome.set_kind(SyncOutcome::KIND_UNCHANGED);
          continue;
        }
        create_revision = existing->create_revision;
        outcome.set_kind(SyncOutcome::KIND_UPDATED);
      }
      // Validate what the commitment would become: with a partial set of
      // fields, the item alone need not be complete.
      FieldViolations violations;
      Traits::Validate(next, violations);
      if (!violations.empty()) {
        for (const auto& violation : violations.violations()) {
          MarkInvalid(outcome, violation.field, violation.description);
        }
        invalid = true;
        continue;
      }
      if (absl::Status references = Traits::CheckReferences(txn, next); !references.ok()) {
        if (!absl::IsNotFound(references)) return references;
        MarkMissingReference(outcome, references);
        invalid = true;
        continue;
      }
      outcome.set_name(next.name());
      if (invalid || request.validate_only) continue;  // nothing will be kept
      *next.mutable_update_time() = now;
      MPOWER_ASSIGN_OR_RETURN(StoredResource stored,
                              Codec::Encode(next, parent, create_revision, txn.revision()));
      MPOWER_RETURN_IF_ERROR(txn.Put(stored));
    }
    for (const std::string& name : absent) {
      MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, txn.Get(name));
      if (!stored.has_value() || stored->deleted) continue;
      SyncOutcome& outcome = result.outcomes.emplace_back();
      outcome.set_index(-1);
      outcome.set_kind(SyncOutcome::KIND_DELETED);
      outcome.set_external_id(stored->external_id);
      outcome.set_name(name);
      if (invalid || request.validate_only) continue;
      MPOWER_ASSIGN_OR_RETURN(Commitment deleted, Codec::Decode(*stored));
      *deleted.mutable_delete_time() = now;
      *deleted.mutable_update_time() = now;
      MPOWER_ASSIGN_OR_RETURN(
          StoredResource next,
          Codec::Encode(deleted, parent, stored->create_revision, txn.revision()));
      next.deleted = true;
      MPOWER_RETURN_IF_ERROR(txn.Put(next));
    }
    if (invalid || request.validate_only) return kDryRun;
    return AppendAudit(txn, MakeAuditRecord(caller, "SyncCommitments", parent, ""));
  });
  if (!written.ok() && written.status() != kDryRun) return written.status();

  v1::SyncSummary& summary = result.summary;
  for (const SyncOutcome& outcome : result.outcomes) {
    switch (outcome.kind()) {
      case SyncOutcome::KIND_CREATED:
        summary.set_created(summary.created() + 1);
        break;
      case SyncOutcome::KIND_UPDATED:
        summary.set_updated(summary.updated() + 1);
        break;
      case SyncOutcome::KIND_UNCHANGED:
        summary.set_unchanged(summary.unchanged() + 1);
        break;
      case SyncOutcome::KIND_DELETED:
        summary.set_deleted(summary.deleted() + 1);
        break;
      case SyncOutcome::KIND_INVALID:
        summary.set_invalid(summary.invalid() + 1);
        break;
      default:
        break;
    }
  }
  summary.set_applied(written.ok());
  if (written.ok() && summary.created() + summary.updated() + summary.deleted() > 0) {
    summary.set_revision(*written);
  }
  return result;
}

}  // namespace mpower
