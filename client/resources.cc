#include "client/resources.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "mpower/v1/admin.pb.h"
#include "mpower/v1/alert.pb.h"
#include "mpower/v1/commitment.pb.h"
#include "mpower/v1/encryption_key.pb.h"
#include "mpower/v1/initiative.pb.h"
#include "mpower/v1/partner.pb.h"
#include "mpower/v1/response.pb.h"
#include "mpower/v1/subscription.pb.h"

namespace mpower::cli {

const google::protobuf::ServiceDescriptor* ResourceSpec::service() const {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      service_name != nullptr ? absl::StrCat("mpower.v1.", service_name)
                              : absl::StrCat("mpower.v1.", type, "Service"));
}

const google::protobuf::Descriptor* ResourceSpec::message() const {
  return google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
      absl::StrCat("mpower.v1.", type));
}

const google::protobuf::MethodDescriptor* ResourceSpec::list() const {
  return service()->FindMethodByName(
      list_method != nullptr
          ? std::string(list_method)
          : absl::StrCat("List", absl::AsciiStrToUpper(plural).substr(0, 1), plural + 1));
}

const std::vector<ResourceSpec>& Resources() {
  // Referencing each file's descriptor makes sure the generated code is
  // linked in and registered in the generated pool.
  static const bool kLinked = v1::Partner::descriptor() && v1::Initiative::descriptor() &&
                              v1::Commitment::descriptor() && v1::Alert::descriptor() &&
                              v1::Response::descriptor() && v1::Credential::descriptor() &&
                              v1::Subscription::descriptor() && v1::EncryptionKey::descriptor();
  (void)kLinked;
  static const std::vector<ResourceSpec> kResources = {
      {"partners",
       "Partner",
       "partner",
       "",
       "partners/ilo",
       {{"NAME", "name"},
        {"TYPE", "type"},
        {"COUNTRY", "country_code"},
        {"DISPLAY NAME", "display_name"}},
       {{"display-name", "display_name", "the organisation's name"},
        {"type", "type", "e.g. TRADE_UNION, GOVERNMENT_AGENCY, MULTILATERAL"},
        {"country", "country_code", "ISO 3166-1 alpha-2 code, e.g. ID"},
        {"iati-id", "iati_identifier", "IATI organisation identifier, e.g. XM-DAC-41302"},
        {"parent-partner", "parent_partner", "partners/{partner} it belongs to"},
        {"membership-status", "membership_status", "PENDING, ACTIVE, SUSPENDED or FORMER"},
        {"website", "website_uri", "https:// address"},
        {"description", "description", "public description"}}},
      {"initiatives",
       "Initiative",
       "initiative",
       "",
       "initiatives/better-work",
       {{"NAME", "name"},
        {"STATUS", "status"},
        {"COUNTRIES", "country_codes"},
        {"DISPLAY NAME", "display_name"}},
       {{"display-name", "display_name", "the initiative's title"},
        {"sphere", "sphere", "DOMESTIC_ACTION or INTERNATIONAL_COOPERATION"},
        {"status", "status", "PIPELINE, IMPLEMENTATION, FINALISATION, CLOSED, ..."},
        {"countries", "country_codes", "comma-separated ISO codes, e.g. ID,MY"},
        {"action-areas", "action_areas", "comma-separated, e.g. CIVIC_SPACE,SOCIAL_DIALOGUE"},
        {"start-date", "start_date", "YYYY-MM-DD"},
        {"end-date", "end_date", "YYYY-MM-DD"},
        {"description", "description", "public description"}}},
      {"commitments",
       "Commitment",
       "commitment",
       "partners",
       "partners/us-gov/commitments/ilo-assessed-2018-2022",
       {{"NAME", "name"},
        {"KIND", "kind"},
        {"AMOUNT", "amount"},
        {"FULFILLED", "fulfilled_amount"},
        {"STATUS", "status"},
        {"INSTRUMENT", "instrument"},
        {"STAGE", "stage"},
        {"TITLE", "title"}},
       {{"external-id", "external_id", "your own id for it"},
        {"kind", "kind", "FUNDING, POLICY, TECHNICAL_ASSISTANCE, DIPLOMATIC_ACTION, RESEARCH"},
        {"title", "title", "short title"},
        {"amount", "amount", "exact amount and currency, e.g. \"122000000 USD\""},
        {"basis", "contribution_basis", "ASSESSED, VOLUNTARY_CORE or VOLUNTARY_EARMARKED"},
        {"recipient", "recipient_partner", "partners/{partner} receiving the funds"},
        {"initiative", "initiative", "initiatives/{initiative} it funds"},
        {"start-date", "start_date", "YYYY-MM-DD"},
        {"end-date", "end_date", "YYYY-MM-DD"},
        {"countries", "country_codes", "comma-separated ISO codes"},
        {"status", "status", "PLEDGED, IN_PROGRESS, FULFILLED, PARTIALLY_FULFILLED, WITHDRAWN"},
        {"instrument", "instrument", "policy: ILO code, e.g. C087, P029, C190, or OTHER"},
        {"instrument-ref", "instrument_reference", "policy: the law or policy, for OTHER"},
        {"action", "policy_action", "policy: RATIFY, APPLY_IN_LAW, ENFORCE, REPORT, ..."},
        {"milestones", "milestones", "policy: e.g. \"ANNOUNCED 2024-05-01,RATIFIED 2025-02-03\""},
        {"description", "description", "public description"}}},
      {"alerts",
       "Alert",
       "alert",
       "",
       "alerts/example-detention-west-kalimantan",
       {{"NAME", "name"},
        {"COUNTRY", "country_code"},
        {"CATEGORY", "category"},
        {"SEVERITY", "severity"},
        {"STATUS", "status"},
        {"HEADLINE", "headline"}},
       {{"filing-partner", "filing_partner", "partners/{partner} filing it (create only)"},
        {"category", "category", "e.g. ARBITRARY_ARREST_OR_DETENTION, THREAT_OF_VIOLENCE"},
        {"severity", "severity", "EXTREME, SEVERE, MODERATE, MINOR or UNKNOWN"},
        {"urgency", "urgency", "IMMEDIATE, EXPECTED, FUTURE, PAST or UNKNOWN"},
        {"certainty", "certainty", "OBSERVED, LIKELY, POSSIBLE, UNLIKELY or UNKNOWN"},
        {"country", "country_code", "ISO 3166-1 alpha-2 code"},
        {"area", "area", "coarse area, safe to share"},
        {"headline", "headline", "one line, safe to share"},
        {"summary", "summary", "summary, safe to share"},
        {"status", "status", "OPEN, VERIFIED, RESPONDING, RESOLVED or DISMISSED"},
        {"scope", "scope", "PUBLIC, PARTNERS or RESTRICTED"},
        {"recipients", "recipient_partners", "comma-separated partners/{partner}"},
        {"related-commitments", "related_commitments",
         "comma-separated partners/{partner}/commitments/{commitment}"},
        {"occur-time", "occur_time", "RFC 3339 time, e.g. 2026-01-01T00:00:00Z"}}},
      {"responses",
       "Response",
       "response",
       "alerts",
       "alerts/example-detention-west-kalimantan/responses/ilo-acknowledged",
       {{"NAME", "name"},
        {"PARTNER", "responding_partner"},
        {"ACTION", "action"},
        {"TIME", "action_time"},
        {"NOTE", "note"}},
       {{"responding-partner", "responding_partner", "partners/{partner} (create only)"},
        {"action", "action", "e.g. ACKNOWLEDGED, PUBLIC_STATEMENT, LEGAL_SUPPORT"},
        {"note", "note", "what was done, safe to share"},
        {"action-time", "action_time", "RFC 3339 time"}}},
      {"subscriptions",
       "Subscription",
       "subscription",
       "partners",
       "partners/ilo/subscriptions/duty-desk",
       {{"NAME", "name"},
        {"STATE", "delivery.state"},
        {"DELIVERED", "delivery.delivered_revision"},
        {"WEBHOOK", "webhook.url"},
        {"EMAIL", "email.addresses"},
        {"DISPLAY NAME", "display_name"}},
       {{"display-name", "display_name", "what it is for"},
        {"webhook-url", "webhook.url", "https:// URL that receives signed POSTs"},
        {"email", "email.addresses", "comma-separated addresses (1 to 10)"},
        {"collections", "collections", "ALERTS,RESPONSES (default), COMMITMENTS, ..."},
        {"countries", "country_codes", "comma-separated ISO codes; none for all"},
        {"categories", "alert_categories", "e.g. KILLING,ARBITRARY_ARREST_OR_DETENTION"},
        {"min-severity", "minimum_severity", "EXTREME, SEVERE, MODERATE or MINOR"},
        {"escalations-only", "escalations_only", "true: only alerts nobody answered in time"},
        {"secretariat-scope", "secretariat_scope", "true: judged as the secretariat (admins)"}},
       nullptr,
       nullptr,
       nullptr,
       "duty-desk --parent partners/ilo --email desk@ilo.example --min-severity SEVERE"},
      {"keys",
       "EncryptionKey",
       "encryption_key",
       "partners",
       "partners/ilo/encryptionKeys/geneva-desk",
       {{"NAME", "name"},
        {"STATE", "state"},
        {"FINGERPRINT", "fingerprint"},
        {"DISPLAY NAME", "display_name"}},
       {{"display-name", "display_name", "what the key is for, e.g. \"Geneva duty desk\""}},
       "EncryptionKeyService",
       "ListEncryptionKeys",
       "encryption_keys"},
      {"credentials",
       "Credential",
       "credential",
       "",
       "credentials/local-admin",
       {{"NAME", "name"},
        {"PRINCIPAL", "principal"},
        {"ROLE", "role"},
        {"PARTNER", "partner"},
        {"EXPIRES", "expire_time"},
        {"REVOKED", "revoke_time"}},
       {{"principal", "principal", "who holds it, e.g. ilo-geneva-desk"},
        {"role", "role", "ADMIN, PARTNER_EDITOR or PARTNER_VIEWER"},
        {"partner", "partner", "partners/{partner} for partner roles"},
        {"certificate-subject", "certificate_subject", "client certificate CN, for mutual TLS"},
        {"expire-time", "expire_time", "RFC 3339 time it stops working"},
        {"description", "description", "a note for the secretariat"}},
       "AdminService",
       nullptr,
       nullptr,
       "ilo-desk --principal ilo-geneva-desk --role partner_editor --partner partners/ilo"},
      {"audit",
       "AuditEntry",
       "audit_entry",
       "",
       "",
       {{"SEQ", "sequence"},
        {"TIME", "time"},
        {"PRINCIPAL", "principal"},
        {"METHOD", "method"},
        {"RESOURCE", "resource"}},
       {},
       "AdminService",
       "ListAuditEntries",
       "audit_entries"},
  };
  return kResources;
}

const ResourceSpec* FindResource(absl::string_view word) {
  for (const ResourceSpec& spec : Resources()) {
    if (word == spec.plural) return &spec;
  }
  return nullptr;
}

}  // namespace mpower::cli
