// Fills a data directory for the benchmark: partners bench-p0..p{N-1}, each
// with `per-partner` funding commitments synced in one transaction, spread
// over 20 countries; writes every commitment's name, one a line, to
// --names-file for the Get scenario.
//
//   mpower-bench-seed --data-dir=DIR --partners=10 --per-partner=100000 --names-file=F

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/core/commitment_rules.h"
#include "server/core/commitment_sync.h"
#include "server/core/index_terms.h"
#include "server/core/partner_rules.h"
#include "server/storage/keyring.h"
#include "server/storage/postgres/postgres_store.h"
#include "server/storage/sqlite/sqlite_store.h"

namespace {

std::string Flag(int argc, char** argv, const std::string& name, const std::string& otherwise) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0)
      return std::string(argv[i]).substr(prefix.size());
  }
  return otherwise;
}

constexpr const char* kCountries[] = {"ID", "MY", "BD", "KH", "VN", "PH", "MX", "GT", "HN", "CO",
                                      "PE", "EC", "NG", "GH", "KE", "ET", "JO", "EG", "NP", "LK"};

}  // namespace

int main(int argc, char** argv) {
  const std::string data_dir = Flag(argc, argv, "data-dir", "");
  const int partners = std::stoi(Flag(argc, argv, "partners", "10"));
  const int per_partner = std::stoi(Flag(argc, argv, "per-partner", "100000"));
  std::ofstream names(Flag(argc, argv, "names-file", "/dev/null"));
  // A PostgreSQL URL seeds that database instead of DATA_DIR/mpower.db
  // (the keys stay in DATA_DIR/keys).
  const std::string database = Flag(argc, argv, "database", "");
  if (data_dir.empty()) {
    std::fprintf(stderr, "mpower-bench-seed: --data-dir is required\n");
    return 2;
  }
  std::filesystem::create_directories(data_dir);
  std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all);
  auto keyring = mpower::Keyring::LoadOrCreate(data_dir + "/keys");
  if (!keyring.ok()) {
    std::fprintf(stderr, "%s\n", std::string(keyring.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<mpower::Store>> store;
  if (database.empty()) {
    auto sqlite = mpower::SqliteStore::Open(data_dir + "/mpower.db", keyring->get());
    if (sqlite.ok())
      store = std::unique_ptr<mpower::Store>(*std::move(sqlite));
    else
      store = sqlite.status();
  } else {
    auto postgres = mpower::PostgresStore::Open(database, keyring->get());
    if (postgres.ok())
      store = std::unique_ptr<mpower::Store>(*std::move(postgres));
    else
      store = postgres.status();
  }
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  if (absl::Status indexed = mpower::InstallIndexTerms(**store); !indexed.ok()) {
    std::fprintf(stderr, "%s\n", std::string(indexed.message()).c_str());
    return 1;
  }
  const absl::Time start = absl::Now();
  mpower::ResourceManager<mpower::v1::Partner> partner_manager(store->get());
  mpower::CommitmentSync sync(store->get());
  for (int p = 0; p < partners; ++p) {
    mpower::v1::Partner partner;
    partner.set_display_name(absl::StrCat("Benchmark partner ", p));
    partner.set_type(mpower::v1::Partner::TYPE_GOVERNMENT);
    partner.set_country_code("US");
    const std::string id = absl::StrCat("bench-p", p);
    if (auto created = partner_manager.Create(mpower::Principal::System(), "", id, partner, "", "");
        !created.ok() && !absl::IsAlreadyExists(created.status())) {
      std::fprintf(stderr, "%s\n", std::string(created.status().message()).c_str());
      return 1;
    }
    mpower::SyncRequest request;
    request.parent = absl::StrCat("partners/", id);
    for (int i = 0; i < per_partner; ++i) {
      mpower::v1::Commitment& c = request.items.emplace_back();
      c.set_external_id(absl::StrCat("C-", i));
      c.set_kind(mpower::v1::Commitment::KIND_FUNDING);
      c.set_title(absl::StrCat("Benchmark commitment ", i));
      c.mutable_amount()->set_currency_code("USD");
      c.mutable_amount()->set_units(1000 + i);
      c.set_contribution_basis(mpower::v1::Commitment::CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED);
      c.add_country_codes(kCountries[(p * per_partner + i) % 20]);
    }
    absl::StatusOr<mpower::SyncResult> result = sync.Run(mpower::Principal::System(), request);
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", std::string(result.status().message()).c_str());
      return 1;
    }
    for (const auto& outcome : result->outcomes) names << outcome.name() << "\n";
    std::fprintf(stderr, "seeded %s: %d commitments\n", request.parent.c_str(), per_partner);
  }
  std::printf("seeded %d commitments in %.1f s\n", partners * per_partner,
              absl::ToDoubleSeconds(absl::Now() - start));
  return 0;
}
