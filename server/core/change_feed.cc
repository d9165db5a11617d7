#include "server/core/change_feed.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/base/status_macros.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/encryption_key_rules.h"
#include "server/core/initiative_rules.h"
#include "server/core/partner_rules.h"
#include "server/core/response_rules.h"

namespace mpower {
namespace {

constexpr int32_t kDefaultChangePageSize = 100;
constexpr size_t kMaxScannedPerPage = 10000;

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& values,
              const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Whether a resource concerns the selection's partner and country.
bool Selected(const ChangeSelection& s, const v1::Partner& p, Store&) {
  return (s.partner.empty() || p.name() == s.partner) &&
         (s.country_code.empty() || p.country_code() == s.country_code);
}
bool Selected(const ChangeSelection& s, const v1::Initiative& i, Store&) {
  const bool partner =
      s.partner.empty() || std::any_of(i.participants().begin(), i.participants().end(),
                                       [&](const auto& p) { return p.partner() == s.partner; });
  return partner && (s.country_code.empty() || Contains(i.country_codes(), s.country_code));
}
bool Selected(const ChangeSelection& s, const v1::Commitment& c, Store&) {
  const std::string owner = c.name().substr(0, c.name().find("/commitments/"));
  return (s.partner.empty() || owner == s.partner) &&
         (s.country_code.empty() || Contains(c.country_codes(), s.country_code));
}
bool Selected(const ChangeSelection& s, const v1::EncryptionKey& k, Store&) {
  return (s.partner.empty() || EncryptionKeyOwner(k.name()) == s.partner) && s.country_code.empty();
}
bool Selected(const ChangeSelection& s, const v1::Alert& a, Store&) {
  return (s.partner.empty() || a.filing_partner() == s.partner) &&
         (s.country_code.empty() || a.country_code() == s.country_code);
}
bool Selected(const ChangeSelection& s, const v1::Response& r, Store& store) {
  if (!s.partner.empty() && r.responding_partner() != s.partner) return false;
  if (s.country_code.empty()) return true;
  // A response concerns its alert's country.
  absl::StatusOr<std::optional<StoredResource>> alert =
      store.Get(r.name().substr(0, r.name().find("/responses/")));
  v1::Alert parsed;
  return alert.ok() && alert->has_value() && parsed.ParseFromString((*alert)->data) &&
         parsed.country_code() == s.country_code;
}

// Redacts `resource` for `caller`, recording a disclosure of its protected
// details now, or adding it to `deferred` for the caller to record.
template <typename T>
absl::Status DeliverOrDefer(Store& store, const Principal& caller, T& resource,
                            std::vector<Disclosure>* deferred) {
  if (deferred == nullptr) return ResourceManager<T>(&store).Deliver(caller, {&resource});
  std::vector<std::string> disclosed;
  ResourceManager<T>::Redact(caller, {&resource}, &disclosed);
  for (std::string& name : disclosed) deferred->push_back({caller, std::move(name)});
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<std::optional<v1::Change>> RenderAs(Store& store, const Principal& caller,
                                                   const ChangeRecord& record,
                                                   const ChangeSelection& selection,
                                                   T* (v1::Change::*mutable_resource)(),
                                                   std::vector<Disclosure>* deferred) {
  MPOWER_ASSIGN_OR_RETURN(T resource, ResourceCodec<T>::Decode(record.resource));
  MPOWER_ASSIGN_OR_RETURN(bool readable, ResourceTraits<T>::CanRead(caller, resource, store));
  if (!readable || !Selected(selection, resource, store)) return std::nullopt;
  MPOWER_RETURN_IF_ERROR(DeliverOrDefer(store, caller, resource, deferred));
  v1::Change change;
  change.set_revision(record.revision);
  change.set_type(static_cast<v1::ChangeType>(record.kind));
  change.set_name(record.resource.name);
  *(change.*mutable_resource)() = std::move(resource);
  return change;
}

// An alert's history is shown as the caller may see the alert now: who may
// read a recorded version, and who gets its protected details, follow the
// alert's current scope, filer and recipients, not those of the version. So
// a partner taken off an alert loses its history too, and one added gains
// it. (A response is already judged by its alert as it is now.)
absl::StatusOr<std::optional<v1::Change>> RenderAlert(Store& store, const Principal& caller,
                                                      const ChangeRecord& record,
                                                      const ChangeSelection& selection,
                                                      CurrentResources& current,
                                                      std::vector<Disclosure>* deferred) {
  MPOWER_ASSIGN_OR_RETURN(v1::Alert version, ResourceCodec<v1::Alert>::Decode(record.resource));
  auto found = current.find(record.resource.name);
  if (found == current.end()) {
    MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, store.Get(record.resource.name));
    found = current.emplace(record.resource.name, std::move(stored)).first;
  }
  v1::Alert now = version;  // a removed alert is judged as its last version
  if (found->second.has_value()) {
    MPOWER_ASSIGN_OR_RETURN(now, ResourceCodec<v1::Alert>::Decode(*found->second));
  }
  // The version, with today's circle in place of the one it was written
  // with; once judged and redacted, it shows its own again.
  v1::Alert judged = version;
  judged.set_scope(now.scope());
  judged.set_filing_partner(now.filing_partner());
  *judged.mutable_recipient_partners() = now.recipient_partners();
  MPOWER_ASSIGN_OR_RETURN(bool readable, ResourceTraits<v1::Alert>::CanRead(caller, judged, store));
  if (!readable || !Selected(selection, version, store)) return std::nullopt;
  MPOWER_RETURN_IF_ERROR(DeliverOrDefer(store, caller, judged, deferred));
  judged.set_scope(version.scope());
  judged.set_filing_partner(version.filing_partner());
  *judged.mutable_recipient_partners() = version.recipient_partners();
  if (record.resource.erased && now.has_purge_time()) {
    // Says why this version has lost what was sealed.
    *judged.mutable_purge_time() = now.purge_time();
    judged.set_purge_reason(now.purge_reason());
  }
  v1::Change change;
  change.set_revision(record.revision);
  change.set_type(static_cast<v1::ChangeType>(record.kind));
  change.set_name(record.resource.name);
  *change.mutable_alert() = std::move(judged);
  return change;
}

}  // namespace

absl::StatusOr<ChangeSelection> ChangeSelection::FromProto(const v1::ChangeFilter& filter) {
  static const std::set<std::string> kCollections = {"partners", "initiatives", "commitments",
                                                     "alerts",   "responses",   "encryptionKeys"};
  ChangeSelection selection;
  FieldViolations violations;
  for (int i = 0; i < filter.collections_size(); ++i) {
    if (kCollections.count(filter.collections(i)) == 0) {
      violations.Add(
          absl::StrCat("filter.collections[", i, "]"),
          "unknown; use partners, initiatives, commitments, alerts, responses or encryptionKeys");
    }
    selection.collections.insert(filter.collections(i));
  }
  if (!filter.partner().empty()) {
    absl::StatusOr<ParsedName> partner =
        ParseName(filter.partner(), kPartnerName, "filter.partner");
    if (!partner.ok()) violations.Add("filter.partner", "expected partners/{partner}");
  }
  CheckCountryCode(violations, "filter.country_code", filter.country_code(), Presence::kOptional);
  MPOWER_RETURN_IF_ERROR(violations.ToStatus());
  selection.partner = filter.partner();
  selection.country_code = filter.country_code();
  return selection;
}

absl::StatusOr<std::optional<v1::Change>> ChangeFeed::Render(
    const Principal& caller, const ChangeRecord& record, const ChangeSelection& selection,
    CurrentResources* current, std::vector<Disclosure>* deferred) const {
  const std::string& collection = record.resource.collection;
  if (!selection.collections.empty() && selection.collections.count(collection) == 0) {
    return std::nullopt;
  }
  if (collection == "partners") {
    return RenderAs<v1::Partner>(*store_, caller, record, selection, &v1::Change::mutable_partner,
                                 deferred);
  }
  if (collection == "initiatives") {
    return RenderAs<v1::Initiative>(*store_, caller, record, selection,
                                    &v1::Change::mutable_initiative, deferred);
  }
  if (collection == "commitments") {
    return RenderAs<v1::Commitment>(*store_, caller, record, selection,
                                    &v1::Change::mutable_commitment, deferred);
  }
  if (collection == "alerts") {
    CurrentResources just_this_once;
    return RenderAlert(*store_, caller, record, selection,
                       current != nullptr ? *current : just_this_once, deferred);
  }
  if (collection == "responses") {
    return RenderAs<v1::Response>(*store_, caller, record, selection, &v1::Change::mutable_response,
                                  deferred);
  }
  if (collection == "encryptionKeys") {
    return RenderAs<v1::EncryptionKey>(*store_, caller, record, selection,
                                       &v1::Change::mutable_encryption_key, deferred);
  }
  if (collection == "subscriptions") {
    // A partner's own settings, sealed at rest: not part of the feed.
    return std::nullopt;
  }
  return absl::InternalError(absl::StrCat("history holds an unknown collection ", collection));
}

absl::StatusOr<ChangePage> ChangeFeed::List(const Principal& caller, int64_t after_revision,
                                            int32_t page_size, absl::string_view page_token,
                                            const v1::ChangeFilter& filter) const {
  MPOWER_RETURN_IF_ERROR(RequireReader(caller));
  if (page_size < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (after_revision < 0) return absl::InvalidArgumentError("after_revision: must not be negative");
  const size_t size = page_size == 0 ? kDefaultChangePageSize : std::min(page_size, kMaxPageSize);
  MPOWER_ASSIGN_OR_RETURN(ChangeSelection selection, ChangeSelection::FromProto(filter));
  const std::string query =
      Fingerprint(absl::StrCat("changes\n", after_revision, "\n", filter.SerializeAsString()));
  int64_t cursor_revision = after_revision;
  std::string cursor_name;
  if (!page_token.empty()) {
    MPOWER_ASSIGN_OR_RETURN(std::string position, DecodePageToken(*store_, page_token, query));
    std::vector<std::string> parts = absl::StrSplit(position, absl::MaxSplits('\n', 1));
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &cursor_revision)) {
      return absl::InvalidArgumentError("page_token: not a token this server issued");
    }
    cursor_name = parts[1];
  }
  ChangePage page;
  // Read before scanning, and scan no further: with no next page, the
  // caller has every change through current_revision.
  MPOWER_ASSIGN_OR_RETURN(page.current_revision, store_->CurrentRevision());
  size_t scanned = 0;
  bool more = false;
  CurrentResources current;  // this page's "now"
  // The page's disclosures, recorded in one write before it is returned.
  std::vector<Disclosure> disclosures;

  while (!more) {
    MPOWER_ASSIGN_OR_RETURN(std::vector<ChangeRecord> records,
                            store_->ListChanges(cursor_revision, cursor_name, 256));
    if (records.empty()) break;
    for (const ChangeRecord& record : records) {
      if (record.revision > page.current_revision) break;
      if (page.changes.size() == size || scanned == kMaxScannedPerPage) {
        more = true;
        break;
      }
      cursor_revision = record.revision;
      cursor_name = record.resource.name;
      ++scanned;
      MPOWER_ASSIGN_OR_RETURN(std::optional<v1::Change> change,
                              Render(caller, record, selection, &current, &disclosures));
      if (change.has_value()) page.changes.push_back(*std::move(change));
    }
    if (records.back().revision > page.current_revision) break;
  }
  MPOWER_RETURN_IF_ERROR(RecordDisclosures(*store_, disclosures));
  if (more) {
    MPOWER_ASSIGN_OR_RETURN(
        page.next_page_token,
        EncodePageToken(*store_, query, absl::StrCat(cursor_revision, "\n", cursor_name)));
  }
  return page;
}

}  // namespace mpower
