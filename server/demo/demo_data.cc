#include "server/demo/demo_data.h"

#include <sodium.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/public_keys.h"
#include "google/protobuf/text_format.h"
#include "server/base/status_macros.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/encryption_key_rules.h"
#include "server/core/initiative_rules.h"
#include "server/core/partner_rules.h"
#include "server/core/response_rules.h"

namespace mpower {
namespace {

// Creates `text` (protobuf text format) as `parent`/`id` unless it exists.
template <typename T>
absl::Status Ensure(Store* store, absl::string_view parent, absl::string_view id,
                    absl::string_view text) {
  T resource;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &resource)) {
    return absl::InternalError(absl::StrCat("demo data for ", id, " does not parse"));
  }
  ResourceManager<T> manager(store);
  absl::Status status = manager.Create(Principal::System(), parent, id, resource, "", "").status();
  if (absl::IsAlreadyExists(status)) return absl::OkStatus();
  return status;
}

// The seeds: "M-POWER" (US DOL ILAB, 2021) and "The United States and the
// ILO" (ILO, May 2023).
absl::Status LoadPartners(Store* store) {
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Partner>(store, "", "us-gov", R"pb(
    display_name: "United States Government"
    type: TYPE_GOVERNMENT
    country_code: "US"
    description: "The largest multi-bilateral development partner of the ILO; launched M-POWER at the Summit for Democracy, December 2021."
    website_uri: "https://www.usa.gov")pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Partner>(store, "", "us-dol", R"pb(
    display_name: "U.S. Department of Labor"
    type: TYPE_GOVERNMENT_AGENCY
    country_code: "US"
    parent_partner: "partners/us-gov"
    website_uri: "https://www.dol.gov"
    description: "Leads M-POWER with the Department of State and USAID.")pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Partner>(store, "", "us-dol-ilab", R"pb(
    display_name: "U.S. Department of Labor, Bureau of International Labor Affairs (ILAB)"
    type: TYPE_GOVERNMENT_AGENCY
    country_code: "US"
    parent_partner: "partners/us-dol"
    website_uri: "https://www.dol.gov/agencies/ilab"
    description: "Works with the ILO through its Office of Child Labor, Forced Labor and Human Trafficking, Office of Trade and Labor Affairs, and Office of International Relations and Economic Research.")pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Partner>(store, "", "us-dos", R"pb(
    display_name: "U.S. Department of State"
    type: TYPE_GOVERNMENT_AGENCY
    country_code: "US"
    parent_partner: "partners/us-gov"
    website_uri: "https://www.state.gov"
    description: "Supports programmes that promote workers' rights and combat human trafficking, through DRL, PRM, SCA and the TIP Office.")pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Partner>(store, "", "usaid", R"pb(
    display_name: "United States Agency for International Development"
    iati_identifier: "US-GOV-1"
    type: TYPE_GOVERNMENT_AGENCY
    country_code: "US"
    parent_partner: "partners/us-gov"
    website_uri: "https://www.usaid.gov"
    description: "Supports the ILO through projects in Asia and the Pacific and in Latin America and the Caribbean.")pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Partner>(store, "", "ilo", R"pb(
    display_name: "International Labour Organization"
    iati_identifier: "XM-DAC-41302"
    type: TYPE_MULTILATERAL
    website_uri: "https://www.ilo.org"
    description: "The UN agency for the world of work; Route des Morillons 4, CH-1211 Geneva 22.")pb"));
  // Fictional, so the demo alerts have a filer; not in the seeds.
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Partner>(store, "", "example-union", R"pb(
    display_name: "Example Plantation Workers' Union (FICTIONAL demo partner)"
    type: TYPE_TRADE_UNION
    country_code: "ID"
    description: "A fictional union used by the demo alerts. It does not exist.")pb"));
  // Fictional, so the accountability report has a government's promise to
  // hold a demo alert against; not in the seeds.
  return Ensure<v1::Partner>(store, "", "example-labour-ministry", R"pb(
    display_name: "Example Labour Ministry (FICTIONAL demo partner)"
    type: TYPE_GOVERNMENT_AGENCY
    country_code: "ID"
    description: "A fictional ministry used by the demo's accountability report. It does not exist and stands for no real government.")pb");
}

absl::Status LoadInitiatives(Store* store) {
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Initiative>(store, "", "better-work", R"pb(
    display_name: "Better Work"
    sphere: SPHERE_INTERNATIONAL_COOPERATION
    status: STATUS_IMPLEMENTATION
    description: "The ILO's flagship programme to improve working conditions in the garment industry while making the sector more competitive."
    action_areas: [
      ACTION_AREA_FUNDAMENTAL_PRINCIPLES,
      ACTION_AREA_GENDER_EQUITY,
      ACTION_AREA_SOCIAL_DIALOGUE
    ]
    country_codes: "JO"
    participants { partner: "partners/us-dol-ilab" role: PARTICIPANT_ROLE_FUNDING }
    participants { partner: "partners/ilo" role: PARTICIPANT_ROLE_IMPLEMENTING }
    start_date { year: 2009 month: 1 day: 1 }
    results {
      title: "Active factories registered in USDOL-funded Better Work activities"
      unit: "factories"
      actual_value: 1400
      as_of_date { year: 2020 month: 12 day: 31 }
    }
    results {
      title: "Workers benefitting"
      unit: "workers"
      actual_value: 2000000
      as_of_date { year: 2020 month: 12 day: 31 }
    }
    results { title: "Reduction of the gender pay gap" unit: "percent" actual_value: 17 }
    results { title: "Reduction in sexual harassment" unit: "percent" actual_value: 18 })pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Initiative>(store, "", "vision-zero-fund-mexico", R"pb(
    display_name: "Vision Zero Fund: occupational safety and health in Mexico's chilli pepper and tomato supply chains"
    sphere: SPHERE_INTERNATIONAL_COOPERATION
    status: STATUS_IMPLEMENTATION
    description: "Enhances COVID-19 prevention and mitigation and increases compliance with health and safety laws, with the Mexican Ministry of Labour and the Ministry of Agriculture."
    action_areas: [ ACTION_AREA_LABOUR_INSPECTION, ACTION_AREA_SOCIAL_DIALOGUE ]
    country_codes: "MX"
    participants { partner: "partners/us-dol" role: PARTICIPANT_ROLE_FUNDING }
    participants { partner: "partners/ilo" role: PARTICIPANT_ROLE_IMPLEMENTING })pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Initiative>(store, "", "bridge-project", R"pb(
    display_name: "From Protocol to Practice: A Bridge to Global Action on Forced Labour (Bridge Project)"
    sphere: SPHERE_INTERNATIONAL_COOPERATION
    status: STATUS_IMPLEMENTATION
    description: "Raises awareness of the 2014 ILO Protocol to the Forced Labour Convention and combats forced labour."
    action_areas: [ ACTION_AREA_FUNDAMENTAL_PRINCIPLES, ACTION_AREA_MARGINALIZED_WORKERS ]
    country_codes: [ "MY", "MR", "NP", "NE", "PE", "UZ" ]
    participants { partner: "partners/us-dol" role: PARTICIPANT_ROLE_FUNDING }
    participants { partner: "partners/ilo" role: PARTICIPANT_ROLE_IMPLEMENTING }
    start_date { year: 2015 month: 1 day: 1 }
    results {
      title: "Participants actively using skills learned in their employment"
      unit: "percent"
      actual_value: 88
    }
    results {
      title: "Participants who started their own business within eight months of training"
      unit: "percent"
      actual_value: 60
    }
    results {
      title: "Programme beneficiaries whose income increased"
      unit: "percent"
      actual_value: 48
    })pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Initiative>(store, "", "palm-oil-indonesia-malaysia", R"pb(
    display_name: "Advancing workers' rights in the palm oil sector in Indonesia and Malaysia"
    sphere: SPHERE_INTERNATIONAL_COOPERATION
    status: STATUS_IMPLEMENTATION
    description: "Trains union functionaries on freedom of association and collective bargaining, strengthens labour inspection, and improves recruitment to mitigate forced and child labour."
    action_areas: [
      ACTION_AREA_INDEPENDENT_UNIONS,
      ACTION_AREA_LABOUR_INSPECTION,
      ACTION_AREA_MARGINALIZED_WORKERS
    ]
    country_codes: [ "ID", "MY" ]
    participants { partner: "partners/us-dol" role: PARTICIPANT_ROLE_FUNDING }
    participants { partner: "partners/ilo" role: PARTICIPANT_ROLE_IMPLEMENTING }
    results {
      title: "Local trade union functionaries trained"
      unit: "functionaries"
      target_value: 130
    }
    results {
      title: "Collective bargaining agreements being negotiated"
      unit: "agreements"
      actual_value: 15
    }
    results {
      title: "Workers covered by the agreements under negotiation"
      unit: "workers"
      actual_value: 7000
    }
    results {
      title: "Labour inspectors trained in strategic compliance planning"
      unit: "inspectors"
      actual_value: 20
    }
    results {
      title: "Workplace inspection visits using the field guide"
      unit: "visits"
      actual_value: 131
    })pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Initiative>(store, "", "venezuelan-migrants-ecuador-peru", R"pb(
    display_name: "Socioeconomic integration of Venezuelan migrants and refugees in Ecuador and Peru (Emprende Segur@)"
    sphere: SPHERE_INTERNATIONAL_COOPERATION
    status: STATUS_IMPLEMENTATION
    description: "Entrepreneurship training and policy support for Venezuelan migrants and refugees, more than 60% of them women."
    action_areas: [ ACTION_AREA_MARGINALIZED_WORKERS, ACTION_AREA_GENDER_EQUITY ]
    country_codes: [ "EC", "PE" ]
    participants { partner: "partners/usaid" role: PARTICIPANT_ROLE_FUNDING }
    participants { partner: "partners/ilo" role: PARTICIPANT_ROLE_IMPLEMENTING }
    start_date { year: 2020 month: 1 day: 1 }
    results {
      title: "Migrants and refugees who completed entrepreneurship training"
      unit: "people"
      actual_value: 1150
    })pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Initiative>(store, "", "niger-refugees-ayorou", R"pb(
    display_name: "Economic empowerment of refugees and host communities in Ayorou, Niger"
    sphere: SPHERE_INTERNATIONAL_COOPERATION
    status: STATUS_IMPLEMENTATION
    description: "Sustainable livelihoods through a market systems approach in fish farming, waste management and onion value chains."
    action_areas: [ ACTION_AREA_MARGINALIZED_WORKERS ]
    country_codes: "NE"
    participants { partner: "partners/us-dos" role: PARTICIPANT_ROLE_FUNDING }
    participants { partner: "partners/ilo" role: PARTICIPANT_ROLE_IMPLEMENTING }
    start_date { year: 2019 month: 1 day: 1 }
    results {
      title: "Beneficiaries trained and organized into cooperatives"
      unit: "people"
      actual_value: 1748
    }
    results { title: "Refugees among the beneficiaries" unit: "people" actual_value: 589 }
    results { title: "Onions stored through warrantage" unit: "tons" actual_value: 23 })pb"));
  return Ensure<v1::Initiative>(store, "", "honduras-coffee", R"pb(
    display_name: "Addressing child labour and forced labour in the coffee supply chain in Honduras"
    sphere: SPHERE_INTERNATIONAL_COOPERATION
    status: STATUS_IMPLEMENTATION
    description: "A social compliance system based on ILAB's Comply Chain methodology, with the Honduran Coffee Institute (IHCAFE)."
    action_areas: [ ACTION_AREA_FUNDAMENTAL_PRINCIPLES ]
    country_codes: "HN"
    participants { partner: "partners/us-dol-ilab" role: PARTICIPANT_ROLE_FUNDING }
    participants { partner: "partners/ilo" role: PARTICIPANT_ROLE_IMPLEMENTING }
    results {
      title: "Coffee producers who adopted the code of conduct and completed a self-assessment"
      unit: "producers"
      actual_value: 420
    }
    results {
      title: "IHCAFE technical staff trained in the methodology"
      unit: "percent"
      actual_value: 49
    })pb");
}

// The seed "The United States and the ILO" (ILO, May 2023) says the US
// "has ratified fourteen ILO conventions, including two fundamental
// conventions on the Abolition of Forced Labour and on the Elimination of
// the Worst Forms of Child Labour, the governance convention on Tripartite
// Consultation". It gives no dates, so neither do these milestones.
absl::Status LoadPolicyCommitments(Store* store) {
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Commitment>(store, "partners/us-gov", "ratified-c105", R"pb(
    external_id: "ILO-C105"
    kind: KIND_POLICY
    title: "Ratification of the Abolition of Forced Labour Convention, 1957 (No. 105)"
    description: "One of the two fundamental conventions the United States has ratified (ILO, \"The United States and the ILO\", May 2023). The dates are on the ILO's NORMLEX; the seed gives none."
    instrument: INSTRUMENT_C105
    policy_action: POLICY_ACTION_RATIFY
    milestones { stage: STAGE_RATIFIED }
    milestones { stage: STAGE_IN_FORCE }
    country_codes: "US"
    action_areas: ACTION_AREA_FUNDAMENTAL_PRINCIPLES)pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Commitment>(store, "partners/us-gov", "ratified-c182", R"pb(
    external_id: "ILO-C182"
    kind: KIND_POLICY
    title: "Ratification of the Worst Forms of Child Labour Convention, 1999 (No. 182)"
    description: "One of the two fundamental conventions the United States has ratified (ILO, \"The United States and the ILO\", May 2023). The dates are on the ILO's NORMLEX; the seed gives none."
    instrument: INSTRUMENT_C182
    policy_action: POLICY_ACTION_RATIFY
    milestones { stage: STAGE_RATIFIED }
    milestones { stage: STAGE_IN_FORCE }
    country_codes: "US"
    action_areas: ACTION_AREA_FUNDAMENTAL_PRINCIPLES)pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Commitment>(store, "partners/us-gov", "ratified-c144", R"pb(
    external_id: "ILO-C144"
    kind: KIND_POLICY
    title: "Ratification of the Tripartite Consultation (International Labour Standards) Convention, 1976 (No. 144)"
    description: "The governance convention the United States has ratified (ILO, \"The United States and the ILO\", May 2023). The dates are on the ILO's NORMLEX; the seed gives none."
    instrument: INSTRUMENT_C144
    policy_action: POLICY_ACTION_RATIFY
    milestones { stage: STAGE_RATIFIED }
    milestones { stage: STAGE_IN_FORCE }
    country_codes: "US"
    action_areas: ACTION_AREA_SOCIAL_DIALOGUE)pb"));
  // The same seed: "Since 2015, USDOL and the ILO have been working to
  // combat forced labour through the Bridge Project, which is now active in
  // six countries ... focused on raising awareness about 2014 ILO Protocol
  // to the Forced Labour Convention."
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Commitment>(store, "partners/us-dol", "bridge-p029", R"pb(
    external_id: "ILAB-BRIDGE-P029"
    kind: KIND_POLICY
    title: "Support for giving effect to the 2014 Protocol to the Forced Labour Convention (P029) through the Bridge Project"
    description: "Since 2015, USDOL and the ILO have worked through the Bridge Project to raise awareness of the 2014 Protocol and combat forced labour in Malaysia, Mauritania, Nepal, Niger, Peru and Uzbekistan (ILO, \"The United States and the ILO\", May 2023)."
    instrument: INSTRUMENT_P029
    policy_action: POLICY_ACTION_APPLY_IN_LAW
    milestones { stage: STAGE_ANNOUNCED }
    initiative: "initiatives/bridge-project"
    country_codes: [ "MY", "MR", "NP", "NE", "PE", "UZ" ]
    action_areas: [ ACTION_AREA_FUNDAMENTAL_PRINCIPLES, ACTION_AREA_MARGINALIZED_WORKERS ])pb"));
  // Invented, like the alert it stands beside.
  return Ensure<v1::Commitment>(store, "partners/example-labour-ministry",
                                "example-freedom-of-association", R"pb(
    external_id: "EXAMPLE-FOA"
    kind: KIND_POLICY
    title: "FICTIONAL EXAMPLE: enforce freedom of association on plantations"
    description: "Fictional demo commitment: inspections of anti-union practices on palm oil plantations."
    instrument: INSTRUMENT_C087
    policy_action: POLICY_ACTION_ENFORCE
    milestones {
      stage: STAGE_ANNOUNCED
      date { year: 2025 month: 6 day: 2 }
    }
    milestones {
      stage: STAGE_ENFORCEMENT_PLAN_ADOPTED
      date { year: 2025 month: 10 day: 1 }
    }
    start_date { year: 2025 month: 6 day: 2 }
    country_codes: "ID"
    action_areas: [ ACTION_AREA_INDEPENDENT_UNIONS, ACTION_AREA_LABOUR_INSPECTION ])pb");
}

absl::Status LoadCommitments(Store* store) {
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Commitment>(store, "partners/us-gov",
                                                "mpower-two-year-funding", R"pb(
    external_id: "MPOWER-2022"
    kind: KIND_FUNDING
    title: "M-POWER two-year funding commitment for technical assistance"
    description: "A two-year funding commitment of $122 million, the largest such commitment in U.S. history, for technical assistance programs to empower workers and strengthen worker voice."
    amount { currency_code: "USD" units: 122000000 }
    contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED
    start_date { year: 2022 month: 1 day: 1 }
    end_date { year: 2023 month: 12 day: 31 }
    action_areas: [ ACTION_AREA_INDEPENDENT_UNIONS, ACTION_AREA_CIVIC_SPACE ]
    status: STATUS_PLEDGED)pb"));
  MPOWER_RETURN_IF_ERROR(
      Ensure<v1::Commitment>(store, "partners/us-gov", "ilo-assessed-2018-2022", R"pb(
        external_id: "ILO-RB-2018-2022"
        kind: KIND_FUNDING
        title: "Assessed contributions to the ILO's regular budget, 2018-2022"
        amount { currency_code: "USD" units: 424600000 }
        contribution_basis: CONTRIBUTION_BASIS_ASSESSED
        recipient_partner: "partners/ilo"
        start_date { year: 2018 month: 1 day: 1 }
        end_date { year: 2022 month: 12 day: 31 }
        status: STATUS_FULFILLED
        progress {
          date { year: 2022 month: 12 day: 31 }
          disbursed_amount { currency_code: "USD" units: 424600000 }
          note: "Paid 2018-2022, as reported by the ILO in May 2023."
        })pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Commitment>(store, "partners/us-gov",
                                                "ilo-voluntary-2018-2022", R"pb(
    external_id: "ILO-XB-2018-2022"
    kind: KIND_FUNDING
    title: "Voluntary contributions to the ILO earmarked for priority themes and projects, 2018-2022"
    amount { currency_code: "USD" units: 192000000 }
    contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED
    recipient_partner: "partners/ilo"
    start_date { year: 2018 month: 1 day: 1 }
    end_date { year: 2022 month: 12 day: 31 }
    status: STATUS_FULFILLED
    progress {
      date { year: 2022 month: 12 day: 31 }
      disbursed_amount { currency_code: "USD" units: 192000000 }
      note: "Paid 2018-2022, as reported by the ILO in May 2023."
    })pb"));
  // The ILO's own records of what it received (the seed "The United States
  // and the ILO" is the ILO's report), so reconciliation has both sides.
  MPOWER_RETURN_IF_ERROR(
      Ensure<v1::Commitment>(store, "partners/ilo", "us-assessed-received-2018-2022", R"pb(
        external_id: "RB-US-2018-2022"
        kind: KIND_FUNDING
        title: "Assessed contributions received from the United States, 2018-2022"
        amount { currency_code: "USD" units: 424600000 }
        contribution_basis: CONTRIBUTION_BASIS_ASSESSED
        provider_partner: "partners/us-gov"
        start_date { year: 2018 month: 1 day: 1 }
        end_date { year: 2022 month: 12 day: 31 }
        status: STATUS_FULFILLED
        progress {
          date { year: 2022 month: 12 day: 31 }
          disbursed_amount { currency_code: "USD" units: 424600000 }
        })pb"));
  MPOWER_RETURN_IF_ERROR(
      Ensure<v1::Commitment>(store, "partners/ilo", "us-voluntary-received-2018-2022", R"pb(
        external_id: "XB-US-2018-2022"
        kind: KIND_FUNDING
        title: "Voluntary contributions received from the United States, 2018-2022"
        amount { currency_code: "USD" units: 192000000 }
        contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED
        provider_partner: "partners/us-gov"
        start_date { year: 2018 month: 1 day: 1 }
        end_date { year: 2022 month: 12 day: 31 }
        status: STATUS_FULFILLED
        progress {
          date { year: 2022 month: 12 day: 31 }
          disbursed_amount { currency_code: "USD" units: 192000000 }
        })pb"));
  MPOWER_RETURN_IF_ERROR(LoadPolicyCommitments(store));
  return Ensure<v1::Commitment>(store, "partners/us-dol-ilab", "better-work-since-2009", R"pb(
    external_id: "ILAB-BW-2009"
    kind: KIND_FUNDING
    title: "Funding for Better Work since 2009"
    description: "Since 2009, USDOL has allocated over US$ 44 million to Better Work."
    amount { currency_code: "USD" units: 44000000 }
    contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED
    recipient_partner: "partners/ilo"
    initiative: "initiatives/better-work"
    start_date { year: 2009 month: 1 day: 1 }
    status: STATUS_IN_PROGRESS
    action_areas: [ ACTION_AREA_FUNDAMENTAL_PRINCIPLES, ACTION_AREA_GENDER_EQUITY ])pb");
}

// Every alert here is invented. Headlines say so, and the names in the
// protected details belong to nobody.
absl::Status LoadAlerts(Store* store) {
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Alert>(store, "", "example-detention-west-kalimantan", R"pb(
    filing_partner: "partners/example-union"
    category: CATEGORY_ARBITRARY_ARREST_OR_DETENTION
    severity: SEVERITY_SEVERE
    urgency: URGENCY_IMMEDIATE
    certainty: CERTAINTY_OBSERVED
    country_code: "ID"
    area: "West Kalimantan"
    headline: "FICTIONAL EXAMPLE: union organisers detained after a plantation strike"
    summary: "Fictional demo alert. Two organisers of a plantation workers' union were detained by police the day after a strike over wages."
    scope: SCOPE_RESTRICTED
    recipient_partners: "partners/ilo"
    related_initiatives: "initiatives/palm-oil-indonesia-malaysia"
    related_commitments: "partners/example-labour-ministry/commitments/example-freedom-of-association"
    occur_time { seconds: 1767225600 }
    protected_details {
      people {
        full_name: "Fictional Person One"
        role: "branch secretary"
        organization: "Example Plantation Workers' Union"
      }
      people { full_name: "Fictional Person Two" role: "shop steward" }
      exact_location: "Fictional police post, example district"
      narrative: "Invented for the demo: no such event took place."
    })pb"));
  MPOWER_RETURN_IF_ERROR(Ensure<v1::Alert>(store, "", "example-dismissals-honduras", R"pb(
    filing_partner: "partners/example-union"
    category: CATEGORY_DISMISSAL_FOR_UNION_ACTIVITY
    severity: SEVERITY_MODERATE
    urgency: URGENCY_EXPECTED
    certainty: CERTAINTY_LIKELY
    country_code: "HN"
    area: "Western departments"
    headline: "FICTIONAL EXAMPLE: coffee workers dismissed after forming a union"
    summary: "Fictional demo alert. Workers report dismissals after registering a union at a coffee cooperative."
    scope: SCOPE_PUBLIC
    related_initiatives: "initiatives/honduras-coffee"
    occur_time { seconds: 1769904000 })pb"));
  return Ensure<v1::Response>(store, "alerts/example-detention-west-kalimantan",
                              "ilo-acknowledged", R"pb(
    responding_partner: "partners/ilo"
    action: ACTION_ACKNOWLEDGED
    note: "Fictional demo response: following up with the national tripartite partners."
    action_time { seconds: 1767312000 })pb");
}

// A published key for the demo, made from seeds anyone can work out from
// its name: so its private half is public too, as its display name says.
absl::Status EnsureDemoKey(Store* store, absl::string_view partner, absl::string_view id,
                           absl::string_view purpose) {
  if (!SodiumReady()) return absl::InternalError("libsodium could not be initialised");
  const std::string context = absl::StrCat("mpower demo key ", partner, "/", id);
  unsigned char seed[crypto_hash_sha256_BYTES];
  unsigned char sealing_public[crypto_box_PUBLICKEYBYTES];
  unsigned char sealing_secret[crypto_box_SECRETKEYBYTES];
  unsigned char signing_public[crypto_sign_PUBLICKEYBYTES];
  unsigned char signing_secret[crypto_sign_SECRETKEYBYTES];
  const std::string sealing_context = context + " sealing";
  crypto_hash_sha256(seed, reinterpret_cast<const unsigned char*>(sealing_context.data()),
                     sealing_context.size());
  crypto_box_seed_keypair(sealing_public, sealing_secret, seed);
  const std::string signing_context = context + " signing";
  crypto_hash_sha256(seed, reinterpret_cast<const unsigned char*>(signing_context.data()),
                     signing_context.size());
  crypto_sign_seed_keypair(signing_public, signing_secret, seed);
  v1::EncryptionKey key;
  key.set_display_name(absl::StrCat(purpose, " (demo key: its private half is public)"));
  key.set_sealing_public_key(reinterpret_cast<char*>(sealing_public), sizeof sealing_public);
  key.set_signing_public_key(reinterpret_cast<char*>(signing_public), sizeof signing_public);
  key.set_proof_of_possession(SignProofOfPossession(
      partner, key.sealing_public_key(), key.signing_public_key(),
      absl::string_view(reinterpret_cast<char*>(signing_secret), sizeof signing_secret)));
  absl::Status status = ResourceManager<v1::EncryptionKey>(store)
                            .Create(Principal::System(), partner, id, key, "", "")
                            .status();
  if (absl::IsAlreadyExists(status)) return absl::OkStatus();
  return status;
}

absl::Status LoadKeys(Store* store) {
  MPOWER_RETURN_IF_ERROR(EnsureDemoKey(store, "partners/ilo", "geneva-desk", "Geneva duty desk"));
  return EnsureDemoKey(store, "partners/example-union", "organising-desk", "Organising desk");
}

}  // namespace

absl::Status LoadDemoData(Store* store) {
  MPOWER_RETURN_IF_ERROR(LoadPartners(store));
  MPOWER_RETURN_IF_ERROR(LoadInitiatives(store));
  MPOWER_RETURN_IF_ERROR(LoadCommitments(store));
  MPOWER_RETURN_IF_ERROR(LoadKeys(store));
  return LoadAlerts(store);
}

}  // namespace mpower
