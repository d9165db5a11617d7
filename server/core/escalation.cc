#include "server/core/escalation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/base/status_macros.h"
#include "server/core/alert_rules.h"
#include "server/core/audit.h"

namespace mpower {

using v1::Alert;

absl::StatusOr<EscalationPolicy> EscalationPolicy::Parse(absl::string_view text) {
  EscalationPolicy policy;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<std::string> pieces = absl::StrSplit(part, '=');
    absl::Duration window;
    const auto* urgency =
        pieces.size() == 2
            ? Alert::Urgency_descriptor()->FindValueByName(
                  "URGENCY_" + absl::AsciiStrToUpper(absl::StripAsciiWhitespace(pieces[0])))
            : nullptr;
    if (urgency == nullptr || urgency->number() == 0 ||
        !absl::ParseDuration(absl::StripAsciiWhitespace(pieces[1]), &window) ||
        window < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "escalation windows: \"", part, "\" is not URGENCY=DURATION, e.g. immediate=24h"));
    }
    policy.windows[urgency->number()] = window;
  }
  return policy;
}

absl::StatusOr<int> Escalator::RunOnce(absl::Time now) {
  using Codec = ResourceCodec<Alert>;
  // Candidates: open or verified alerts past their window, not yet escalated.
  ListQuery query;
  query.collection = "alerts";
  query.limit = SIZE_MAX;
  query.max_scanned = SIZE_MAX;
  query.predicate = [&](const StoredResource& stored) {
    Alert alert;
    if (!alert.ParseFromString(stored.data) || alert.escalated()) return false;
    if (alert.status() != Alert::STATUS_OPEN && alert.status() != Alert::STATUS_VERIFIED) {
      return false;
    }
    auto window = policy_.windows.find(alert.urgency());
    return window != policy_.windows.end() &&
           absl::FromUnixSeconds(alert.create_time().seconds()) + window->second <= now;
  };
  MPOWER_ASSIGN_OR_RETURN(ListResult candidates, store_->List(query));
  int escalated = 0;
  for (const StoredResource& candidate : candidates.items) {
    ListQuery responses;
    responses.collection = "responses";
    responses.parent = candidate.name;
    responses.limit = 1;
    MPOWER_ASSIGN_OR_RETURN(ListResult answered, store_->List(responses));
    if (!answered.items.empty()) continue;
    MPOWER_RETURN_IF_ERROR(
        store_
            ->Write([&](WriteTransaction& txn) -> absl::Status {
              // Check again inside the transaction: the alert may have
              // changed, or a response come, since the candidates were read.
              MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored,
                                      txn.Get(candidate.name));
              if (!stored.has_value() || stored->deleted) return absl::OkStatus();
              MPOWER_ASSIGN_OR_RETURN(bool responded, txn.HasChildren(candidate.name, "responses"));
              if (responded) return absl::OkStatus();
              MPOWER_ASSIGN_OR_RETURN(Alert alert, Codec::Decode(*stored));
              if (alert.escalated() || (alert.status() != Alert::STATUS_OPEN &&
                                        alert.status() != Alert::STATUS_VERIFIED)) {
                return absl::OkStatus();
              }
              alert.set_escalated(true);
              alert.mutable_escalate_time()->set_seconds(absl::ToUnixSeconds(now));
              // The same instant: the change whose update_time equals its
              // escalate_time is the one that escalated (what notifications
              // for escalations select).
              *alert.mutable_update_time() = alert.escalate_time();
              MPOWER_ASSIGN_OR_RETURN(
                  StoredResource next,
                  Codec::Encode(alert, "", stored->create_revision, txn.revision()));
              MPOWER_RETURN_IF_ERROR(txn.Put(next));
              ++escalated;
              return AppendAudit(
                  txn, MakeAuditRecord(Principal::System(), "EscalateAlert", candidate.name, ""));
            })
            .status());
  }
  return escalated;
}

}  // namespace mpower
