#include "server/core/report_exports.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/commitment_csv_columns.h"
#include "server/core/money.h"
#include "server/core/names.h"
#include "server/core/value_checks.h"

namespace mpower {
namespace {

using v1::Commitment;
using v1::Initiative;

// An enum value without its type's prefix: KIND_FUNDING becomes FUNDING.
std::string ShortEnumName(const google::protobuf::EnumDescriptor* type, int value) {
  if (value == 0) return "";
  const google::protobuf::EnumValueDescriptor* found = type->FindValueByNumber(value);
  if (found == nullptr) return absl::StrCat(value);
  std::string prefix = type->value(0)->name();
  prefix.resize(prefix.size() - std::string("UNSPECIFIED").size());
  const std::string& name = found->name();
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string DateText(bool has, const v1::Date& date) { return has ? FormatDate(date) : ""; }

std::string CsvCell(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

void AppendCsvRow(std::string& out, const std::vector<std::string>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += CsvCell(cells[i]);
  }
  out += "\r\n";
}

template <typename Repeated>
std::string JoinAreas(const Repeated& areas) {
  std::vector<std::string> names;
  for (int area : areas) names.push_back(ShortEnumName(v1::ActionArea_descriptor(), area));
  return absl::StrJoin(names, ";");
}

// Milestones as `mpower commitments sync` reads them: "STAGE DATE" or
// "STAGE", separated by semicolons, e.g. "RATIFIED 1999-12-02;IN_FORCE".
std::string MilestonesText(const Commitment& commitment) {
  std::vector<std::string> milestones;
  for (const Commitment::Milestone& milestone : commitment.milestones()) {
    std::string text = ShortEnumName(Commitment::Stage_descriptor(), milestone.stage());
    if (milestone.has_date()) absl::StrAppend(&text, " ", DateText(true, milestone.date()));
    milestones.push_back(std::move(text));
  }
  return absl::StrJoin(milestones, ";");
}

constexpr absl::string_view kNormlex = "https://normlex.ilo.org";

std::string Xml(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&apos;"}});
}

std::string Narrative(absl::string_view text) {
  return absl::StrCat("<narrative>", Xml(text), "</narrative>");
}

// IATI's OrganisationType code for a partner type.
const char* IatiOrganisationType(v1::Partner::Type type) {
  switch (type) {
    case v1::Partner::TYPE_GOVERNMENT:
    case v1::Partner::TYPE_GOVERNMENT_AGENCY:
      return "10";  // Government
    case v1::Partner::TYPE_TRADE_UNION:
    case v1::Partner::TYPE_UNION_FEDERATION:
    case v1::Partner::TYPE_WORKER_ORGANIZATION:
    case v1::Partner::TYPE_CIVIL_SOCIETY:
      return "22";  // National NGO
    case v1::Partner::TYPE_EMPLOYER_ORGANIZATION:
      return "70";  // Private Sector
    case v1::Partner::TYPE_ACADEMIC:
      return "80";  // Academic, Training and Research
    case v1::Partner::TYPE_PHILANTHROPY:
      return "60";  // Foundation
    case v1::Partner::TYPE_MULTILATERAL:
      return "40";  // Multilateral
    default:
      return "90";  // Other
  }
}

// IATI's ActivityStatus code for a commitment status.
const char* IatiActivityStatus(Commitment::Status status) {
  switch (status) {
    case Commitment::STATUS_IN_PROGRESS:
      return "2";  // Implementation
    case Commitment::STATUS_FULFILLED:
    case Commitment::STATUS_PARTIALLY_FULFILLED:
      return "4";  // Closed
    case Commitment::STATUS_WITHDRAWN:
      return "5";  // Cancelled
    default:
      return "1";  // Pipeline/identification
  }
}

class IatiWriter {
 public:
  explicit IatiWriter(const IatiContext& context) : context_(context) {}

  std::string Document(const std::vector<Commitment>& commitments) {
    out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    absl::StrAppend(&out_, "<iati-activities version=\"2.03\" generated-datetime=\"",
                    Timestamp(context_.generated), "\">\n");
    for (const Commitment& commitment : commitments) Activity(commitment);
    out_ += "</iati-activities>\n";
    return std::move(out_);
  }

 private:
  static std::string Timestamp(absl::Time time) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
  }
  static std::string Day(const google::protobuf::Timestamp& time) {
    return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(time.seconds()), absl::UTCTimeZone());
  }

  const v1::Partner* FindPartner(const std::string& name) const {
    auto found = context_.partners.find(name);
    return found != context_.partners.end() ? &found->second : nullptr;
  }

  // The partner's IATI identifier, or its mpower name without one.
  std::string OrgRef(const std::string& name) const {
    const v1::Partner* partner = FindPartner(name);
    return partner != nullptr && !partner->iati_identifier().empty() ? partner->iati_identifier()
                                                                     : name;
  }

  // An organisation element: its ref, type, any extra attributes, and its
  // name as the narrative.
  void Org(absl::string_view element, const std::string& name, absl::string_view attributes) {
    const v1::Partner* partner = FindPartner(name);
    absl::StrAppend(&out_, "    <", element, " ref=\"", Xml(OrgRef(name)), "\"");
    if (partner != nullptr)
      absl::StrAppend(&out_, " type=\"", IatiOrganisationType(partner->type()), "\"");
    absl::StrAppend(&out_, attributes, ">",
                    Narrative(partner != nullptr ? partner->display_name() : name), "</", element,
                    ">\n");
  }

  void Transaction(const char* type, const std::string& date, const v1::Money& value,
                   const std::string& provider, const std::string& receiver,
                   absl::string_view note) {
    absl::StrAppend(&out_, "    <transaction>\n      <transaction-type code=\"", type,
                    "\"/>\n      <transaction-date iso-date=\"", date,
                    "\"/>\n      <value currency=\"", value.currency_code(), "\" value-date=\"",
                    date, "\">", FormatDecimal(value), "</value>\n");
    if (!note.empty()) {
      absl::StrAppend(&out_, "      <description>", Narrative(note), "</description>\n");
    }
    for (const auto& [element, name] :
         {std::pair<const char*, const std::string&>{"provider-org", provider},
          std::pair<const char*, const std::string&>{"receiver-org", receiver}}) {
      if (name.empty()) continue;
      const v1::Partner* partner = FindPartner(name);
      absl::StrAppend(&out_, "      <", element, " ref=\"", Xml(OrgRef(name)), "\">",
                      Narrative(partner != nullptr ? partner->display_name() : name), "</", element,
                      ">\n");
    }
    out_ += "    </transaction>\n";
  }

  void Results(const Initiative& initiative, const Commitment& commitment) {
    const v1::Date* start = initiative.has_start_date()   ? &initiative.start_date()
                            : commitment.has_start_date() ? &commitment.start_date()
                                                          : nullptr;
    for (const Initiative::ResultIndicator& result : initiative.results()) {
      const bool percent = result.unit() == "percent" || result.unit() == "%";
      absl::StrAppend(&out_, "    <result type=\"9\">\n      <title>", Narrative(result.title()),
                      "</title>\n      <indicator measure=\"", percent ? "2" : "1",
                      "\">\n        <title>", Narrative(result.title()), "</title>\n");
      if (!result.unit().empty()) {
        absl::StrAppend(&out_, "        <description>",
                        Narrative(absl::StrCat("Unit: ", result.unit())), "</description>\n");
      }
      if (result.has_baseline_value() && start != nullptr) {
        absl::StrAppend(&out_, "        <baseline year=\"", start->year(), "\" value=\"",
                        result.baseline_value(), "\"/>\n");
      }
      const bool has_values = result.has_target_value() || result.has_actual_value();
      if (has_values && start != nullptr && result.has_as_of_date() &&
          result.as_of_date().year() >= start->year()) {
        absl::StrAppend(&out_, "        <period>\n          <period-start iso-date=\"",
                        DateText(true, *start), "\"/>\n          <period-end iso-date=\"",
                        DateText(true, result.as_of_date()), "\"/>\n");
        if (result.has_target_value()) {
          absl::StrAppend(&out_, "          <target value=\"", result.target_value(), "\"/>\n");
        }
        if (result.has_actual_value()) {
          absl::StrAppend(&out_, "          <actual value=\"", result.actual_value(), "\"/>\n");
        }
        out_ += "        </period>\n";
      }
      out_ += "      </indicator>\n    </result>\n";
    }
  }

  // A policy commitment's instrument, and its action and stage, as IATI
  // 2.03 tags in the reporting organisation's own vocabulary (99): IATI has
  // no element of its own for policy commitments. ILO instruments name the
  // ILO's NORMLEX as the vocabulary.
  void PolicyTags(const Commitment& commitment) {
    if (commitment.kind() != Commitment::KIND_POLICY) return;
    const std::string instrument =
        ShortEnumName(Commitment::Instrument_descriptor(), commitment.instrument());
    if (commitment.instrument() == Commitment::INSTRUMENT_OTHER) {
      absl::StrAppend(&out_, "    <tag vocabulary=\"99\" code=\"",
                      Xml(commitment.instrument_reference()), "\">",
                      Narrative(commitment.instrument_reference()), "</tag>\n");
    } else if (!instrument.empty()) {
      absl::StrAppend(&out_, "    <tag vocabulary=\"99\" vocabulary-uri=\"", kNormlex, "\" code=\"",
                      instrument, "\">", Narrative(absl::StrCat("ILO instrument ", instrument)),
                      "</tag>\n");
    }
    const std::string action =
        ShortEnumName(Commitment::PolicyAction_descriptor(), commitment.policy_action());
    const std::string stage = ShortEnumName(Commitment::Stage_descriptor(), commitment.stage());
    if (!action.empty()) {
      absl::StrAppend(&out_, "    <tag vocabulary=\"99\" code=\"", action, "\">",
                      Narrative(stage.empty() ? action : absl::StrCat(action, ": ", stage)),
                      "</tag>\n");
    }
  }

  void Activity(const Commitment& commitment) {
    absl::StatusOr<ParsedName> name = ParseName(commitment.name(), kCommitmentName, "name");
    const std::string partner = name.ok() ? name->parent : "";
    const std::string local_id = commitment.external_id().empty()
                                     ? (name.ok() ? name->id : commitment.name())
                                     : commitment.external_id();
    const Initiative* initiative = nullptr;
    if (auto found = context_.initiatives.find(commitment.initiative());
        found != context_.initiatives.end()) {
      initiative = &found->second;
    }
    const bool received = !commitment.provider_partner().empty();
    absl::StrAppend(&out_, "  <iati-activity last-updated-datetime=\"",
                    Timestamp(absl::FromUnixSeconds(commitment.update_time().seconds())), "\"");
    if (commitment.has_amount()) {
      absl::StrAppend(&out_, " default-currency=\"", commitment.amount().currency_code(), "\"");
    }
    absl::StrAppend(&out_, ">\n    <iati-identifier>", Xml(OrgRef(partner)), "-", Xml(local_id),
                    "</iati-identifier>\n");
    Org("reporting-org", partner, "");
    absl::StrAppend(
        &out_, "    <title>", Narrative(commitment.title()), "</title>\n",
        "    <description type=\"1\">",
        Narrative(commitment.description().empty() ? commitment.title() : commitment.description()),
        "</description>\n");
    // Participating organisations (IATI OrganisationRole: 1 funding,
    // 4 implementing, and the initiative's own roles).
    const std::string& funder = received ? commitment.provider_partner() : partner;
    Org("participating-org", funder, " role=\"1\"");
    const std::string& implementer = received ? partner : commitment.recipient_partner();
    if (!implementer.empty()) Org("participating-org", implementer, " role=\"4\"");
    if (initiative != nullptr) {
      for (const Initiative::Participant& participant : initiative->participants()) {
        if (participant.partner() == funder || participant.partner() == implementer) continue;
        Org("participating-org", participant.partner(),
            absl::StrCat(" role=\"", static_cast<int>(participant.role()), "\""));
      }
    }
    absl::StrAppend(&out_, "    <activity-status code=\"", IatiActivityStatus(commitment.status()),
                    "\"/>\n");
    const bool started = commitment.status() != Commitment::STATUS_PLEDGED &&
                         commitment.status() != Commitment::STATUS_WITHDRAWN;
    const bool ended = commitment.status() == Commitment::STATUS_FULFILLED ||
                       commitment.status() == Commitment::STATUS_PARTIALLY_FULFILLED;
    // ActivityDateType: 1 planned start, 2 actual start, 3 planned end,
    // 4 actual end. IATI wants at least one; the record date stands in.
    const std::string start_date = commitment.has_start_date()
                                       ? DateText(true, commitment.start_date())
                                       : Day(commitment.create_time());
    absl::StrAppend(&out_, "    <activity-date type=\"", started ? "2" : "1", "\" iso-date=\"",
                    start_date, "\"/>\n");
    if (commitment.has_end_date()) {
      absl::StrAppend(&out_, "    <activity-date type=\"", ended ? "4" : "3", "\" iso-date=\"",
                      DateText(true, commitment.end_date()), "\"/>\n");
    }
    const auto& countries = commitment.country_codes().empty() && initiative != nullptr
                                ? initiative->country_codes()
                                : commitment.country_codes();
    for (const std::string& country : countries) {
      absl::StrAppend(&out_, "    <recipient-country code=\"", Xml(country), "\"/>\n");
    }
    PolicyTags(commitment);
    if (commitment.has_amount()) {
      // TransactionType: 2 outgoing commitment and 3 disbursement; for a
      // record of funding received, 11 incoming commitment and 1 incoming
      // funds.
      const std::string& provider = funder;
      const std::string& receiver = implementer;
      Transaction(received ? "11" : "2", start_date, commitment.amount(), provider, receiver, "");
      for (const Commitment::ProgressEntry& entry : commitment.progress()) {
        if (!entry.has_disbursed_amount()) continue;
        Transaction(received ? "1" : "3", DateText(true, entry.date()), entry.disbursed_amount(),
                    provider, receiver, entry.note());
      }
    }
    if (initiative != nullptr) Results(*initiative, commitment);
    out_ += "  </iati-activity>\n";
  }

  const IatiContext& context_;
  std::string out_;
};

}  // namespace

std::string CommitmentsCsv(const std::vector<Commitment>& commitments) {
  std::string out;
  std::vector<std::string> header = {std::string(kCommitmentNameColumn)};
  header.insert(header.end(), kCommitmentSyncColumns.begin(), kCommitmentSyncColumns.end());
  header.insert(header.end(), kCommitmentDerivedColumns.begin(), kCommitmentDerivedColumns.end());
  AppendCsvRow(out, header);
  // Each row's cells in the header's order.
  for (const Commitment& c : commitments) {
    AppendCsvRow(out,
                 {c.name(),
                  c.external_id(),
                  ShortEnumName(Commitment::Kind_descriptor(), c.kind()),
                  c.title(),
                  c.description(),
                  c.has_amount() ? FormatDecimal(c.amount()) : "",
                  c.has_amount() ? c.amount().currency_code() : "",
                  ShortEnumName(Commitment::ContributionBasis_descriptor(), c.contribution_basis()),
                  c.recipient_partner(),
                  c.provider_partner(),
                  c.initiative(),
                  DateText(c.has_start_date(), c.start_date()),
                  DateText(c.has_end_date(), c.end_date()),
                  ShortEnumName(Commitment::Status_descriptor(), c.status()),
                  absl::StrJoin(c.country_codes(), ";"),
                  JoinAreas(c.action_areas()),
                  ShortEnumName(Commitment::Instrument_descriptor(), c.instrument()),
                  c.instrument_reference(),
                  ShortEnumName(Commitment::PolicyAction_descriptor(), c.policy_action()),
                  MilestonesText(c),
                  c.has_fulfilled_amount() ? FormatDecimal(c.fulfilled_amount()) : "",
                  ShortEnumName(Commitment::Stage_descriptor(), c.stage())});
  }
  return out;
}

std::string InitiativesCsv(const std::vector<Initiative>& initiatives) {
  std::string out;
  AppendCsvRow(
      out, {"name", "display_name", "sphere", "status", "start_date", "end_date", "country_codes",
            "action_areas", "funding_partners", "implementing_partners", "description"});
  for (const Initiative& i : initiatives) {
    std::vector<std::string> funders;
    std::vector<std::string> implementers;
    for (const Initiative::Participant& participant : i.participants()) {
      if (participant.role() == Initiative::PARTICIPANT_ROLE_FUNDING) {
        funders.push_back(participant.partner());
      } else if (participant.role() == Initiative::PARTICIPANT_ROLE_IMPLEMENTING) {
        implementers.push_back(participant.partner());
      }
    }
    AppendCsvRow(
        out,
        {i.name(), i.display_name(), ShortEnumName(Initiative::Sphere_descriptor(), i.sphere()),
         ShortEnumName(Initiative::Status_descriptor(), i.status()),
         DateText(i.has_start_date(), i.start_date()), DateText(i.has_end_date(), i.end_date()),
         absl::StrJoin(i.country_codes(), ";"), JoinAreas(i.action_areas()),
         absl::StrJoin(funders, ";"), absl::StrJoin(implementers, ";"), i.description()});
  }
  return out;
}

std::string IatiActivitiesXml(const std::vector<Commitment>& commitments,
                              const IatiContext& context) {
  return IatiWriter(context).Document(commitments);
}

}  // namespace mpower
