#ifndef MPOWER_SERVER_CORE_RESOURCE_MANAGER_H_
#define MPOWER_SERVER_CORE_RESOURCE_MANAGER_H_

// The standard methods of Google's resource-oriented design (AIP-131 to
// AIP-135, AIP-155, AIP-158, AIP-160, AIP-164) implemented once for every
// resource. What differs between resources (names, validation, references,
// defaults, protected parts) comes from ResourceTraits<T>, which each
// *_rules.h specializes.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/base/status_macros.h"
#include "server/core/access.h"
#include "server/core/audit.h"
#include "server/core/field_violations.h"
#include "server/core/filter.h"
#include "server/core/index_terms.h"
#include "server/core/names.h"
#include "server/core/page.h"
#include "server/core/page_token.h"
#include "server/core/resource_codec.h"
#include "server/core/standard_methods.h"
#include "server/core/value_checks.h"
#include "server/storage/commit_outcome.h"
#include "server/storage/data_keys.h"
#include "server/storage/store.h"

namespace mpower {

// Specialized per resource type in server/core/*_rules.h. A specialization
// provides:
//   static constexpr const NamePattern& kName;
//   static constexpr bool kSoftDelete;         // Delete keeps the record
//   static constexpr bool kServerAssignsIds;   // an empty id is generated
//   static constexpr absl::string_view kField;  // request field, "partner"
//   static const std::vector<std::string>& MutableFields();
//   static const std::vector<std::string>& CreateOnlyFields();
//   static const std::vector<std::string>& FilterableFields();
//   static void ApplyDefaults(T&);
//   static void Validate(const T&, FieldViolations&);
//   // NOT_FOUND / FAILED_PRECONDITION for references that do not resolve:
//   static absl::Status CheckReferences(WriteTransaction&, const T&);
//   static std::vector<std::string> References(const T&);
//   static std::string ExternalId(const T&);
//   static absl::Status Derive(T&);            // compute output-only fields
//   // Checks against the replaced version, the caller and the store, and
//   // may complete `updated` from `current` (run before Update compares
//   // them):
//   static absl::Status CheckUpdate(const Principal&, Store&, WriteTransaction&,
//                                   const T& current, T& updated);
//   static std::string TakeProtected(T&);      // serialize, clear, "" if none
//   static absl::Status RestoreProtected(T&, const std::string&);
//   static constexpr bool kErasable;           // its protected part can be purged
//   static void MarkErased(T&);                // a version whose part was purged
//   // What Update must do to every stored copy when `after` replaces
//   // `before` (null for nothing), e.g. seal what a narrowing hides:
//   static std::function<absl::StatusOr<bool>(StoredResource&)> RewriteForUpdate(
//       const T& before, const T& after);
// and, where kErasable:
//   static bool HasErasableData(const T&);     // this version needs a data key
//   static bool IsPurged(const T&);
//   static void MarkPurged(T&, reason, const google::protobuf::Timestamp&);
//   // Purge's include_shareable, for the resource and each stored copy:
//   static void EraseShareable(T&);
//   static bool IsShareableErased(const T&);
//   static absl::StatusOr<bool> EraseStoredShareable(StoredResource&);
// and the access rules (see access.h):
//   static constexpr bool kReadsRestricted;    // some readers may not see some
//   static constexpr bool kOnlyAdminsChooseIds;  // others get random ids
//   static absl::Status CheckCreate(const Principal&, parent, const T&, Store&);
// and, where a create must be checked inside its transaction, knowing the
// name it makes (an alert's envelope is signed for its name):
//   static absl::Status CheckCreateInTransaction(const Principal&, Store&,
//       WriteTransaction&, T& created, bool caller_chose_id);
//   static absl::Status CheckWrite(const Principal&, const T& existing, WriteKind);
//   static absl::StatusOr<bool> CanRead(const Principal&, const T&, Store&);
//   static bool Redact(const Principal&, T&);  // true if protected details stay
template <typename T>
struct ResourceTraits;

// What a write does to an existing resource, for access rules.
enum class WriteKind { kUpdate, kDelete, kUndelete, kPurge };

inline constexpr size_t kMaxRequestIdLength = 64;
inline constexpr size_t kMaxPurgeReasonLength = 500;

// The standard methods for resources of type T over a Store, on behalf of
// a caller: each method checks the caller's access, returns resources
// redacted for the caller, and records every write, and every read of
// protected details, in the audit trail within the same transaction as the
// write. Thread-safe when the Store is.
template <typename T>
class ResourceManager {
 public:
  using Traits = ResourceTraits<T>;

  // REQUIRES: `store` outlives this object.
  explicit ResourceManager(Store* store) : store_(store) {}

  absl::StatusOr<T> Get(const Principal& caller, absl::string_view name) const {
    MPOWER_RETURN_IF_ERROR(RequireReader(caller));
    MPOWER_RETURN_IF_ERROR(ParseName(name, Traits::kName, "name").status());
    MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, store_->Get(name));
    if (!stored.has_value() || stored->collection != Traits::kName.collection) {
      return NotVisible(caller, name);
    }
    MPOWER_ASSIGN_OR_RETURN(T resource, Codec::Decode(*stored));
    MPOWER_ASSIGN_OR_RETURN(bool readable, Traits::CanRead(caller, resource, *store_));
    if (!readable) return NotVisible(caller, name);
    MPOWER_RETURN_IF_ERROR(Deliver(caller, {&resource}));
    return resource;
  }

  absl::StatusOr<Page<T>> List(const Principal& caller, const ListParams& params) const {
    MPOWER_RETURN_IF_ERROR(RequireReader(caller));
    std::string parent;
    if (!Traits::kName.parent_collection.empty()) {
      absl::StatusOr<std::string> parsed =
          ParseParent(params.parent, Traits::kName, /*allow_wildcard=*/true, "parent");
      if (!parsed.ok()) return parsed.status();
      if (*parsed != absl::StrCat(Traits::kName.parent_collection, "/", kWildcardId)) {
        parent = *parsed;
      }
    }
    MPOWER_ASSIGN_OR_RETURN(const int32_t page_size, EffectivePageSize(params.page_size));
    MPOWER_ASSIGN_OR_RETURN(
        Filter filter, Filter::Parse(params.filter, T::descriptor(), Traits::FilterableFields()));
    const std::string query =
        ListFingerprint(Traits::kName.collection, parent, params.filter, params.show_deleted);
    ListQuery list;
    list.collection = std::string(Traits::kName.collection);
    list.term = IndexTermFor(Traits::kIndexedFields, filter);
    list.parent = parent;
    list.show_deleted = params.show_deleted;
    if (!params.page_token.empty()) {
      MPOWER_ASSIGN_OR_RETURN(list.after_name, DecodePageToken(*store_, params.page_token, query));
    }
    // One more than a page, to know whether another page follows.
    list.limit = static_cast<size_t>(page_size) + 1;
    // Pages hold only what the caller may read. Filters see the stored
    // resource without its protected part, so no filter can ever test
    // protected details. Each row is parsed once: the store keeps exactly
    // the rows the predicate accepted, in order, so `accepted[i]` is the
    // parsed form of `result.items[i]` (parsing twice was a fifth of a
    // List's time).
    Page<T> page;
    std::vector<T>& accepted = page.items;
    list.predicate = [&](const StoredResource& stored) {
      T resource;
      if (!resource.ParseFromString(stored.data) || !filter.Matches(resource)) return false;
      absl::StatusOr<bool> readable = Traits::CanRead(caller, resource, *store_);
      if (!readable.ok() || !*readable) return false;
      accepted.push_back(std::move(resource));
      return true;
    };
    MPOWER_ASSIGN_OR_RETURN(ListResult result, store_->List(list));
    if (accepted.size() != result.items.size()) {
      return absl::InternalError("the store's page does not match what it was asked to keep");
    }
    std::string resume_after = result.resume_after;
    if (result.items.size() > static_cast<size_t>(page_size)) {
      result.items.resize(page_size);
      accepted.resize(page_size);
      resume_after = result.items.back().name;
    }
    for (size_t i = 0; i < accepted.size(); ++i) {
      MPOWER_RETURN_IF_ERROR(Codec::CompleteDecoding(result.items[i], accepted[i]));
    }
    std::vector<T*> items;
    for (T& item : page.items) items.push_back(&item);
    MPOWER_RETURN_IF_ERROR(Deliver(caller, items));
    if (!resume_after.empty()) {
      MPOWER_ASSIGN_OR_RETURN(page.next_page_token, EncodePageToken(*store_, query, resume_after));
    }
    return page;
  }

  // Creates `input` under `parent` ("" for top level) with id `id`.
  // `request_fingerprint` identifies the request's content for request_id
  // retries.
  absl::StatusOr<T> Create(const Principal& caller, absl::string_view parent, absl::string_view id,
                           const T& input, absl::string_view request_id,
                           absl::string_view request_fingerprint) {
    MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
    FieldViolations violations;
    const std::string id_field = absl::StrCat(Traits::kName.singular, "_id");
    std::string resource_id(id);
    // A name the server makes (77 random bits behind the time) is new
    // without asking: Insert is the safety net. Reading first would cost
    // each create a round trip to the database inside the group commit.
    // A name the caller chose is read first, even one made as the server
    // makes them: a taken one then fails in its own step, where a failed
    // Insert in PostgreSQL's pipelined group would fail the writes after
    // it too, letting any caller spoil other partners' writes.
    const bool server_made_id = id.empty() && Traits::kServerAssignsIds;
    CheckNewResourceId(caller, id_field, Traits::kOnlyAdminsChooseIds, Traits::kServerAssignsIds,
                       resource_id, violations);
    if (!Traits::kName.parent_collection.empty()) {
      absl::StatusOr<std::string> parsed =
          ParseParent(parent, Traits::kName, /*allow_wildcard=*/false, "parent");
      if (!parsed.ok()) violations.Add("parent", parsed.status().message());
    }
    CheckText(violations, "request_id", request_id, kMaxRequestIdLength, Presence::kOptional);
    T resource = Sanitize(input);
    Traits::ApplyDefaults(resource);
    Traits::Validate(resource, violations);
    MPOWER_RETURN_IF_ERROR(violations.ToStatus());
    MPOWER_RETURN_IF_ERROR(Traits::CheckCreate(caller, parent, resource, *store_));

    const std::string name = MakeName(parent, Traits::kName, resource_id);
    MPOWER_ASSIGN_OR_RETURN(const bool made_key, PrepareDataKey(name, resource));
    // A request id is the caller's own: two callers may pick the same one.
    const std::string request_key = request_id.empty() ? ""
                                                       : absl::StrCat(Traits::kName.collection, ":",
                                                                      caller.id, ":", request_id);
    std::optional<T> result;
    const absl::Status written =
        store_
            ->Write([&](WriteTransaction& txn) -> absl::Status {
              if (!request_key.empty()) {
                MPOWER_ASSIGN_OR_RETURN(std::optional<RequestRecord> earlier,
                                        txn.FindRequest(request_key));
                if (earlier.has_value()) {
                  if (earlier->fingerprint != request_fingerprint) {
                    return absl::InvalidArgumentError(
                        "request_id: already used for a different request; use a new request_id "
                        "for each new create");
                  }
                  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> first,
                                          txn.Get(earlier->name));
                  if (!first.has_value()) return NotFound(earlier->name);
                  MPOWER_ASSIGN_OR_RETURN(result, DeliverIn(txn, caller, *first));
                  return absl::OkStatus();
                }
              }
              if (!Traits::kName.parent_collection.empty()) {
                MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> owner, txn.Get(parent));
                if (!owner.has_value()) {
                  return absl::NotFoundError(absl::StrCat("parent: ", parent, " does not exist"));
                }
                if (owner->deleted) {
                  return absl::FailedPreconditionError(
                      absl::StrCat("parent: ", parent, " is deleted; undelete it first"));
                }
              }
              if (!server_made_id) {
                MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> existing, txn.Get(name));
                if (existing.has_value()) {
                  return absl::AlreadyExistsError(
                      absl::StrCat(id_field, ": ", name, " already exists; choose another id"));
                }
              }
              MPOWER_RETURN_IF_ERROR(CheckExternalIdFree(txn, parent, resource, name));
              MPOWER_RETURN_IF_ERROR(Traits::CheckReferences(txn, resource));
              const google::protobuf::Timestamp now = TimestampNow();
              resource.set_name(name);
              *resource.mutable_create_time() = now;
              *resource.mutable_update_time() = now;
              if constexpr (requires { &Traits::CheckCreateInTransaction; }) {
                MPOWER_RETURN_IF_ERROR(Traits::CheckCreateInTransaction(
                    caller, *store_, txn, resource, /*caller_chose_id=*/!id.empty()));
              }
              MPOWER_ASSIGN_OR_RETURN(
                  StoredResource stored,
                  Codec::Encode(resource, parent, txn.revision(), txn.revision()));
              MPOWER_RETURN_IF_ERROR(txn.Insert(stored));
              if (!request_key.empty()) {
                MPOWER_RETURN_IF_ERROR(txn.SaveRequest(
                    request_key, RequestRecord{std::string(request_fingerprint), name}));
              }
              MPOWER_RETURN_IF_ERROR(
                  AppendAudit(txn, MakeAuditRecord(caller, Method("Create"), name, request_id)));
              MPOWER_ASSIGN_OR_RETURN(result, DeliverIn(txn, caller, stored));
              return absl::OkStatus();
            })
            .status();
    // A key made for a create that did not happen (it failed, or a
    // request_id retry returned the first create's resource) goes again.
    // Only a key made here: an existing one may be another alert's. And
    // only when the create is known not to have happened: a write whose
    // outcome is unknown may have committed, and its alert would lose
    // its text for good.
    // And never for a name that exists: a caller who chose the id of
    // another's alert still without a key would make that alert's key, fail
    // (ALREADY_EXISTS), and destroy it under the details the alert's filer
    // was giving at that moment.
    const bool not_written = !written.ok() && !IsCommitOutcomeUnknown(written);
    if (made_key && (not_written || (written.ok() && result->name() != name)) &&
        (server_made_id || NameIsFree(name))) {
      (void)store_->data_keys().Destroy(name);
    }
    MPOWER_RETURN_IF_ERROR(written);
    return *std::move(result);
  }

  // Changes the fields of `patch` named in `mask` (all mutable fields when
  // the mask is empty or "*"). Writes nothing, and keeps the etag, when the
  // result equals the stored resource. The audit trail names the method
  // `verb` and the type ("UpdatePartner", or for a custom method that is
  // an update, "RetireEncryptionKey").
  absl::StatusOr<T> Update(const Principal& caller, const T& patch,
                           const google::protobuf::FieldMask& mask,
                           absl::string_view verb = "Update") {
    MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
    const std::string field(Traits::kField);
    MPOWER_RETURN_IF_ERROR(ParseName(patch.name(), Traits::kName, field + ".name").status());
    MPOWER_ASSIGN_OR_RETURN(google::protobuf::FieldMask paths,
                            CheckUpdateMask(mask, Traits::MutableFields()));
    MPOWER_RETURN_IF_ERROR(PrepareDataKeyForUpdate(caller, patch));
    std::optional<T> result;
    MPOWER_RETURN_IF_ERROR(
        store_
            ->Write([&](WriteTransaction& txn) -> absl::Status {
              MPOWER_ASSIGN_OR_RETURN(
                  StoredResource stored,
                  GetForWrite(caller, txn, patch.name(), patch.etag(), WriteKind::kUpdate));
              if (stored.deleted) {
                return absl::FailedPreconditionError(
                    absl::StrCat(patch.name(), " is deleted; undelete it before updating"));
              }
              MPOWER_ASSIGN_OR_RETURN(T current, Codec::Decode(stored));
              T updated = current;
              google::protobuf::util::FieldMaskUtil::MergeOptions options;
              options.set_replace_message_fields(true);
              options.set_replace_repeated_fields(true);
              google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, paths, options,
                                                                    &updated);
              FieldViolations violations;
              Traits::Validate(updated, violations);
              MPOWER_RETURN_IF_ERROR(violations.ToStatus());
              MPOWER_RETURN_IF_ERROR(Traits::Derive(updated));
              MPOWER_RETURN_IF_ERROR(Traits::CheckUpdate(caller, *store_, txn, current, updated));
              if (google::protobuf::util::MessageDifferencer::Equals(updated, current)) {
                MPOWER_ASSIGN_OR_RETURN(result, DeliverIn(txn, caller, stored));
                return absl::OkStatus();
              }
              MPOWER_RETURN_IF_ERROR(
                  CheckExternalIdFree(txn, stored.parent, updated, patch.name()));
              MPOWER_RETURN_IF_ERROR(Traits::CheckReferences(txn, updated));
              *updated.mutable_update_time() = TimestampNow();
              MPOWER_ASSIGN_OR_RETURN(
                  StoredResource next,
                  Codec::Encode(updated, stored.parent, stored.create_revision, txn.revision()));
              MPOWER_RETURN_IF_ERROR(txn.Put(next));
              if (const auto rewrite = Traits::RewriteForUpdate(current, updated)) {
                // What readers who lost access could read, earlier versions
                // still hold (text in the clear, a removed recipient's
                // wraps): taken out of every copy by the same commit, and
                // the space the old copies held overwritten before this
                // returns (Store's RewriteCopies).
                MPOWER_RETURN_IF_ERROR(txn.RewriteCopies(patch.name(), rewrite));
              }
              MPOWER_RETURN_IF_ERROR(
                  AppendAudit(txn, MakeAuditRecord(caller, Method(verb), patch.name(), "")));
              MPOWER_ASSIGN_OR_RETURN(result, DeliverIn(txn, caller, next));
              return absl::OkStatus();
            })
            .status());
    return *std::move(result);
  }

  // Soft-deletes (returning the deleted resource) or, for resources that
  // are not soft-deleted, removes for good (returning nullopt).
  absl::StatusOr<std::optional<T>> Delete(const Principal& caller, absl::string_view name,
                                          absl::string_view etag) {
    MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
    MPOWER_RETURN_IF_ERROR(ParseName(name, Traits::kName, "name").status());
    std::optional<T> result;
    MPOWER_RETURN_IF_ERROR(
        store_
            ->Write([&](WriteTransaction& txn) -> absl::Status {
              MPOWER_ASSIGN_OR_RETURN(StoredResource stored,
                                      GetForWrite(caller, txn, name, etag, WriteKind::kDelete));
              MPOWER_RETURN_IF_ERROR(
                  AppendAudit(txn, MakeAuditRecord(caller, Method("Delete"), name, "")));
              if constexpr (Traits::kSoftDelete) {
                if (stored.deleted) {
                  return absl::FailedPreconditionError(absl::StrCat(name, " is already deleted"));
                }
                return SetDeleted(txn, caller, stored, true, result);
              } else {
                MPOWER_RETURN_IF_ERROR(Traits::CheckRemovable(name, *store_));
                MPOWER_ASSIGN_OR_RETURN(bool referenced, txn.IsReferenced(name));
                if (referenced) {
                  return absl::FailedPreconditionError(absl::StrCat(
                      name,
                      " is still referred to by other resources; remove or change them first"));
                }
                return txn.Remove(name);
              }
            })
            .status());
    return result;
  }

  // Restores a soft-deleted resource.
  absl::StatusOr<T> Undelete(const Principal& caller, absl::string_view name,
                             absl::string_view etag) {
    static_assert(Traits::kSoftDelete, "only soft-deleted resources can be undeleted");
    MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
    MPOWER_RETURN_IF_ERROR(ParseName(name, Traits::kName, "name").status());
    std::optional<T> result;
    MPOWER_RETURN_IF_ERROR(
        store_
            ->Write([&](WriteTransaction& txn) -> absl::Status {
              MPOWER_ASSIGN_OR_RETURN(StoredResource stored,
                                      GetForWrite(caller, txn, name, etag, WriteKind::kUndelete));
              if (!stored.deleted) {
                return absl::FailedPreconditionError(absl::StrCat(name, " is not deleted"));
              }
              MPOWER_RETURN_IF_ERROR(
                  AppendAudit(txn, MakeAuditRecord(caller, Method("Undelete"), name, "")));
              return SetDeleted(txn, caller, stored, false, result);
            })
            .status());
    return *std::move(result);
  }

  // Erases the protected part of `name` for good, `reason` recorded: it
  // destroys the data key that every stored copy of that part (the
  // history's, and every backup's) was sealed under, then writes the
  // resource as it was, marked purged (Traits::MarkPurged), which needs no
  // key. The key goes first, so that a failure or crash between the two
  // leaves the part erased, never the purge recorded and the part readable;
  // a retry records it (though a crash in that moment also loses what
  // stays sealed, such as a restricted alert's headline). A caller who may
  // not purge destroys nothing. With `include_shareable`, the shareable
  // text (Traits::EraseShareable) goes too, from the resource and every
  // stored copy, in the same commit as the purge's record. Purging a purged
  // resource changes nothing, unless it asks for the shareable text and
  // that is not yet erased.
  absl::StatusOr<T> Purge(const Principal& caller, absl::string_view name, absl::string_view reason,
                          absl::string_view etag, bool include_shareable = false) {
    static_assert(Traits::kErasable, "only erasable resources can be purged");
    MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
    MPOWER_RETURN_IF_ERROR(ParseName(name, Traits::kName, "name").status());
    FieldViolations violations;
    CheckText(violations, "reason", reason, kMaxPurgeReasonLength, Presence::kRequired);
    MPOWER_RETURN_IF_ERROR(violations.ToStatus());
    std::optional<T> result;
    // Whether the caller may purge, and the resource while it can be read.
    std::optional<T> before;
    int64_t before_revision = 0;
    MPOWER_RETURN_IF_ERROR(store_
                               ->Write([&](WriteTransaction& txn) -> absl::Status {
                                 MPOWER_ASSIGN_OR_RETURN(
                                     StoredResource stored,
                                     GetForWrite(caller, txn, name, etag, WriteKind::kPurge));
                                 MPOWER_ASSIGN_OR_RETURN(before, Codec::Decode(stored));
                                 before_revision = stored.update_revision;
                                 if (Done(*before, include_shareable)) {
                                   MPOWER_ASSIGN_OR_RETURN(result, DeliverIn(txn, caller, stored));
                                 }
                                 return absl::OkStatus();
                               })
                               .status());
    if (result.has_value()) return *std::move(result);
    MPOWER_RETURN_IF_ERROR(store_->data_keys().Destroy(name));
    MPOWER_RETURN_IF_ERROR(
        store_
            ->Write([&](WriteTransaction& txn) -> absl::Status {
              MPOWER_ASSIGN_OR_RETURN(StoredResource stored,
                                      GetForWrite(caller, txn, name, etag, WriteKind::kPurge));
              if (stored.update_revision != before_revision) {
                MPOWER_ASSIGN_OR_RETURN(T now, Codec::Decode(stored));
                if (Done(now, include_shareable)) {  // purged by another caller meanwhile
                  MPOWER_ASSIGN_OR_RETURN(result, DeliverIn(txn, caller, stored));
                  return absl::OkStatus();
                }
                return absl::AbortedError(
                    absl::StrCat(name, " changed while it was being purged; purge it again"));
              }
              T resource = *before;
              const google::protobuf::Timestamp now = TimestampNow();
              // A second purge, for the shareable text, keeps the first's
              // time and reason; the audit trail has both.
              if (!Traits::IsPurged(resource)) Traits::MarkPurged(resource, reason, now);
              if (include_shareable) Traits::EraseShareable(resource);
              *resource.mutable_update_time() = now;
              MPOWER_ASSIGN_OR_RETURN(
                  StoredResource next,
                  Codec::Encode(resource, stored.parent, stored.create_revision, txn.revision()));
              MPOWER_RETURN_IF_ERROR(txn.Put(next));
              if (include_shareable) {
                MPOWER_RETURN_IF_ERROR(txn.RewriteCopies(name, &Traits::EraseStoredShareable));
              }
              AuditRecord audit = MakeAuditRecord(caller, Method("Purge"), name, "");
              audit.reason = std::string(reason);
              MPOWER_RETURN_IF_ERROR(AppendAudit(txn, std::move(audit)));
              MPOWER_ASSIGN_OR_RETURN(result, DeliverIn(txn, caller, next));
              return absl::OkStatus();
            })
            .status());
    return *std::move(result);
  }

  // Redacts `items`, which a read returns to the caller, recording in the
  // audit trail each one whose protected details the caller receives. The
  // record survives a crash of mpowerd, but the read does not wait for it
  // to reach the disk (Durability::kProcessCrashSafe).
  absl::Status Deliver(const Principal& caller, const std::vector<T*>& items) const {
    std::vector<std::string> disclosed;
    Redact(caller, items, &disclosed);
    return RecordDisclosures(*store_, caller, disclosed);
  }

  // Deliver's first half, for a caller that records the disclosures of
  // many deliveries in one write (the watch hub): redacts `items` for
  // `caller` and appends to `disclosed` the names of those whose protected
  // details `caller` receives. REQUIRES: RecordDisclosures succeeds for
  // them before any of them leaves the server.
  static void Redact(const Principal& caller, const std::vector<T*>& items,
                     std::vector<std::string>* disclosed) {
    for (T* item : items) {
      if (Traits::Redact(caller, *item)) disclosed->push_back(item->name());
    }
  }

 private:
  using Codec = ResourceCodec<T>;

  // Makes sure a new resource's data key exists, if it needs one, before
  // the write that creates it, so that the write does not wait for the
  // disk inside its group. (Later writes find the key there; only one that
  // first adds erasable data makes a key inside its group.) Returns
  // whether it made one.
  absl::StatusOr<bool> PrepareDataKey(const std::string& name, const T& resource) const {
    if constexpr (Traits::kErasable) {
      if (Traits::HasErasableData(resource)) return store_->data_keys().Prepare(name);
    }
    return false;
  }

  // Whether no resource, live or deleted, has `name`; false if that cannot
  // be read.
  bool NameIsFree(const std::string& name) const {
    absl::StatusOr<std::optional<StoredResource>> stored = store_->Get(name);
    return stored.ok() && !stored->has_value();
  }

  // The same for an update that may give a resource erasable data for the
  // first time (an alert's details given after it was filed, sealed or
  // not). Only for a resource that exists, so
  // that no key is ever left for a name that does not; a key made for an
  // update that then fails serves the resource's next one, and goes with
  // its purge. (The create's own key is made by PrepareDataKey.)
  absl::Status PrepareDataKeyForUpdate(const Principal& caller, const T& patch) const {
    if constexpr (Traits::kErasable) {
      if (!Traits::HasErasableData(patch)) return absl::OkStatus();
      MPOWER_ASSIGN_OR_RETURN(const std::optional<StoredResource> stored,
                              store_->Get(patch.name()));
      if (!stored.has_value() || stored->deleted) return absl::OkStatus();
      MPOWER_ASSIGN_OR_RETURN(const T current, Codec::Decode(*stored));
      // Only for a caller who may change it (the write says why not to any
      // other), and never for a purged resource, whose key stays gone.
      if (Traits::CheckWrite(caller, current, WriteKind::kUpdate).ok() &&
          !Traits::IsPurged(current)) {
        MPOWER_RETURN_IF_ERROR(store_->data_keys().Prepare(patch.name()).status());
      }
    }
    return absl::OkStatus();
  }

  // Whether a purge asking for `include_shareable` has nothing left to do.
  static bool Done(const T& resource, bool include_shareable) {
    if constexpr (Traits::kErasable) {
      return Traits::IsPurged(resource) &&
             (!include_shareable || Traits::IsShareableErased(resource));
    }
    return false;
  }

  static absl::Status NotFound(absl::string_view name) {
    return ResourceNotFound(Traits::kName.singular, name);
  }

  static absl::Status NotVisible(const Principal& caller, absl::string_view name) {
    return ResourceNotVisible(Traits::kReadsRestricted, caller, Traits::kName.singular, name);
  }

  // The audit trail's method name, e.g. "CreateAlert".
  static std::string Method(absl::string_view verb) {
    return absl::StrCat(verb, T::descriptor()->name());
  }

  // `stored` as a write returns it to the caller: redacted, with the
  // disclosure of its protected details, if any, recorded in the write's
  // own transaction.
  static absl::StatusOr<T> DeliverIn(WriteTransaction& txn, const Principal& caller,
                                     const StoredResource& stored) {
    MPOWER_ASSIGN_OR_RETURN(T resource, Codec::Decode(stored));
    if (Traits::Redact(caller, resource)) {
      MPOWER_RETURN_IF_ERROR(
          AppendAudit(txn, MakeAuditRecord(caller, kReadProtectedDetails, stored.name, "")));
    }
    return resource;
  }

  // A copy of `input` holding only the fields a client may set on create.
  static T Sanitize(const T& input) {
    const std::optional<std::vector<bool>>& settable = SettableOnCreate();
    if (!settable.has_value()) {  // a nested path: only a field mask can say
      google::protobuf::FieldMask mask;
      for (const std::string& path : SettableOnCreatePaths()) mask.add_paths(path);
      T clean;
      google::protobuf::util::FieldMaskUtil::MergeMessageTo(
          input, mask, google::protobuf::util::FieldMaskUtil::MergeOptions(), &clean);
      return clean;
    }
    // Every settable field is a top-level one: copy, then clear the rest.
    // The same result as merging through a field mask, which built the
    // mask's tree anew on each call (6% of a create's CPU).
    T clean = input;
    KeepOnlyFields(clean, *settable);
    return clean;
  }

  static std::vector<std::string> SettableOnCreatePaths() {
    std::vector<std::string> paths = Traits::MutableFields();
    for (const std::string& path : Traits::CreateOnlyFields()) paths.push_back(path);
    return paths;
  }

  // Which of T's fields (by index) a client may set on create, worked out
  // once; nullopt if some settable path is not a top-level field.
  static const std::optional<std::vector<bool>>& SettableOnCreate() {
    static const std::optional<std::vector<bool>> settable =
        []() -> std::optional<std::vector<bool>> {
      const google::protobuf::Descriptor& descriptor = *T::descriptor();
      std::vector<bool> fields(descriptor.field_count(), false);
      for (const std::string& path : SettableOnCreatePaths()) {
        const google::protobuf::FieldDescriptor* field = descriptor.FindFieldByName(path);
        if (field == nullptr) return std::nullopt;
        fields[field->index()] = true;
      }
      return fields;
    }();
    return settable;
  }

  // The resource to change, once the caller may change it. Ownership
  // fields never change, so the check holds for the whole transaction.
  absl::StatusOr<StoredResource> GetForWrite(const Principal& caller, WriteTransaction& txn,
                                             absl::string_view name, absl::string_view etag,
                                             WriteKind kind) const {
    MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, txn.Get(name));
    if (!stored.has_value() || stored->collection != Traits::kName.collection) {
      return NotVisible(caller, name);
    }
    MPOWER_ASSIGN_OR_RETURN(T existing, Codec::Decode(*stored));
    MPOWER_ASSIGN_OR_RETURN(bool readable, Traits::CanRead(caller, existing, *store_));
    if (!readable) return NotVisible(caller, name);
    MPOWER_RETURN_IF_ERROR(Traits::CheckWrite(caller, existing, kind));
    MPOWER_RETURN_IF_ERROR(CheckEtag(etag, stored->update_revision, name));
    return *std::move(stored);
  }

  static absl::Status CheckExternalIdFree(WriteTransaction& txn, absl::string_view parent,
                                          const T& resource, absl::string_view name) {
    return mpower::CheckExternalIdFree(txn, Traits::kName.collection, Traits::kField, parent,
                                       Traits::ExternalId(resource), name);
  }

  absl::Status SetDeleted(WriteTransaction& txn, const Principal& caller,
                          const StoredResource& stored, bool deleted, std::optional<T>& result) {
    MPOWER_ASSIGN_OR_RETURN(T resource, Codec::Decode(stored));
    const google::protobuf::Timestamp now = TimestampNow();
    if constexpr (Traits::kSoftDelete) {
      if (deleted) {
        *resource.mutable_delete_time() = now;
      } else {
        resource.clear_delete_time();
      }
    }
    *resource.mutable_update_time() = now;
    MPOWER_ASSIGN_OR_RETURN(
        StoredResource next,
        Codec::Encode(resource, stored.parent, stored.create_revision, txn.revision()));
    next.deleted = deleted;
    MPOWER_RETURN_IF_ERROR(txn.Put(next));
    MPOWER_ASSIGN_OR_RETURN(result, DeliverIn(txn, caller, next));
    return absl::OkStatus();
  }

  Store* store_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_RESOURCE_MANAGER_H_
