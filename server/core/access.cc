#include "server/core/access.h"

#include <algorithm>

namespace mpower {

bool MaySeeProtectedDetails(const Principal& reader, const v1::Alert& alert) {
  switch (reader.role) {
    case Principal::Role::kAdmin:
      return true;
    case Principal::Role::kPartnerViewer:
    case Principal::Role::kPartnerEditor:
      return !reader.partner.empty() &&
             (reader.partner == alert.filing_partner() ||
              std::find(alert.recipient_partners().begin(), alert.recipient_partners().end(),
                        reader.partner) != alert.recipient_partners().end());
    case Principal::Role::kAnonymous:
    case Principal::Role::kPublicReader:
      return false;
  }
  return false;
}

void RedactForReader(const Principal& reader, v1::Alert& alert) {
  if (!MaySeeProtectedDetails(reader, alert)) alert.clear_protected_details();
}

}  // namespace mpower
