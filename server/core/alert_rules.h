#ifndef MPOWER_SERVER_CORE_ALERT_RULES_H_
#define MPOWER_SERVER_CORE_ALERT_RULES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "mpower/v1/alert.pb.h"
#include "server/core/resource_manager.h"
#include "server/core/resource_traits_defaults.h"

namespace mpower {

template <>
struct ResourceTraits<v1::Alert> : ResourceTraitsDefaults {
  static constexpr const NamePattern& kName = kAlertName;
  static constexpr bool kSoftDelete = true;
  static constexpr bool kServerAssignsIds = true;
  static constexpr absl::string_view kField = "alert";
  // Indexed by storage, so a List filtered by country reads only matches.
  // Most selective first: a List uses the first one its filter requires.
  static constexpr absl::string_view kIndexedFields[] = {"filing_partner", "country_code",
                                                         "status"};
  static const std::vector<std::string>& MutableFields();
  static const std::vector<std::string>& CreateOnlyFields();
  // Never includes protected_details: a filter must not reveal matches.
  static const std::vector<std::string>& FilterableFields();
  static void ApplyDefaults(v1::Alert& alert);
  static void Validate(const v1::Alert& alert, FieldViolations& violations);
  static absl::Status CheckReferences(WriteTransaction& txn, const v1::Alert& alert);
  // Sealed details: CheckSealedDetails (sealed_details.h).
  static absl::Status CheckUpdate(const Principal& caller, Store& store, WriteTransaction& txn,
                                  const v1::Alert& current, v1::Alert& updated);
  // The filer's editors or the secretariat.
  static absl::Status CheckCreate(const Principal& caller, absl::string_view parent,
                                  const v1::Alert& resource, Store& store);
  // Details sealed on the filer's machine come with the create only under
  // an alert_id the caller chose, since the envelope is signed for the
  // alert's name; then they are checked as an update's (CheckSealedDetails).
  static absl::Status CheckCreateInTransaction(const Principal& caller, Store& store,
                                               WriteTransaction& txn, v1::Alert& created,
                                               bool caller_chose_id);
  static absl::Status CheckWrite(const Principal& caller, const v1::Alert& existing,
                                 WriteKind kind);
  static constexpr bool kReadsRestricted = true;
  // A chosen id that is taken answers ALREADY_EXISTS even to a caller who
  // may not read that alert, so letting partners choose any id would let
  // them probe for restricted alerts (and read meaning into their ids).
  // The secretariat chooses any; everyone else gets a random id, or makes
  // one as the server does (IsGeneratedResourceId), whose random part
  // nobody can guess.
  static constexpr bool kOnlyAdminsChooseIds = true;
  static absl::StatusOr<bool> CanRead(const Principal& caller, const v1::Alert& alert, Store&);
  // Withholds protected details from readers not entitled to them; true if
  // the caller receives some.
  static bool Redact(const Principal& caller, v1::Alert& alert);
  static std::vector<std::string> References(const v1::Alert& alert);
  // Moves what is sealed at rest out of `alert` into a blob storage keeps
  // apart, sealed with the keyring (AES-256-GCM): the protected details,
  // and for an alert that is not public its headline, summary and area too
  // (they can point at a person as surely as a name). Records whether there
  // were protected details in protected_details_present. Readers still get
  // the headline wherever they may read the alert: only the files differ.
  static std::string TakeProtected(v1::Alert& alert);
  static absl::Status RestoreProtected(v1::Alert& alert, const std::string& data);
  // A version with protected details has everything TakeProtected seals
  // sealed under the alert's own data key too: a purge erases the details
  // of every version, and the headline, summary and area of each version
  // that had details. (Versions without details need no key, so filing an
  // alert without them waits for no key file.)
  static constexpr bool kErasable = true;
  static bool HasErasableData(const v1::Alert& alert) {
    return alert.has_protected_details() && alert.protected_details().ByteSizeLong() > 0;
  }
  static void MarkErased(v1::Alert& alert);
  // What Update does to every stored copy when `after` replaces `before`:
  //  - when it has fewer readers by scope (public to partners or
  //    restricted, partners to restricted), SealStoredCopy, so that no
  //    version's headline, summary or area stays in the clear;
  //  - when it removes recipients, StripWraps: their keys' wraps of sealed
  //    details go from every version, not only withheld at read.
  // Null when neither.
  static std::function<absl::StatusOr<bool>(StoredResource&)> RewriteForUpdate(
      const v1::Alert& before, const v1::Alert& after);
  // Removes from a stored version's sealed details the wraps of the keys
  // of `partners`. Returns whether there were any.
  static absl::StatusOr<bool> StripWraps(StoredResource& stored,
                                         const std::vector<std::string>& partners);
  // Moves the headline, summary and area that a stored version holds in the
  // clear (written while the alert was public) into its sealed part, as
  // TakeProtected would have for the narrowed scope. Returns whether there
  // were any. A version whose sealed part was purged gets a new one, sealed
  // under the keyring alone, and shows no details, as it did.
  static absl::StatusOr<bool> SealStoredCopy(StoredResource& stored);
  // What PurgeAlert's include_shareable leaves of the headline; the summary
  // and area become empty. Named in alert.proto.
  static constexpr absl::string_view kErasedHeadline = "[erased]";
  // Replaces the headline of `alert` with kErasedHeadline and clears its
  // summary and area.
  static void EraseShareable(v1::Alert& alert);
  static bool IsShareableErased(const v1::Alert& alert) {
    return alert.headline() == kErasedHeadline && alert.summary().empty() && alert.area().empty();
  }
  // EraseShareable for a stored version, in its clear and sealed parts
  // (those still readable: a purged sealed part is gone already). Returns
  // whether it changed anything.
  static absl::StatusOr<bool> EraseStoredShareable(StoredResource& stored);
  static bool IsPurged(const v1::Alert& alert) { return alert.has_purge_time(); }
  static void MarkPurged(v1::Alert& alert, absl::string_view reason,
                         const google::protobuf::Timestamp& now);
  // Sets close_time when the alert is resolved or dismissed, clears it
  // when it is reopened.
  static absl::Status Derive(v1::Alert& alert);
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_ALERT_RULES_H_
