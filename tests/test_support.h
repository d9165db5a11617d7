#ifndef MPOWER_TESTS_TEST_SUPPORT_H_
#define MPOWER_TESTS_TEST_SUPPORT_H_

// Matchers and fixtures shared by the tests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/storage/postgres/postgres_store.h"
#include "server/storage/sqlite/sqlite_store.h"

namespace mpower::testing {

// The string value of the first `"key":"` in `json` at or after `from`
// (compact JSON, as the HTTP gateway and webhooks send it); "" if absent.
inline std::string JsonString(const std::string& json, const std::string& key, size_t from = 0) {
  const std::string marker = "\"" + key + "\":\"";
  const size_t at = json.find(marker, from);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return json.substr(start, json.find('"', start) - start);
}

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Matches an absl::Status or absl::StatusOr whose code is `code`.
MATCHER_P(StatusIs, code, "") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

// Matches an absl::Status or absl::StatusOr with `code` and a message
// matching `message_matcher`.
MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

#define MPOWER_ASSERT_OK(expr) ASSERT_TRUE((expr).ok()) << GetStatus(expr)

// A directory removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mpower-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  // Processes killed a moment ago may still be ending, adding files as it
  // is removed; tries again for a while rather than fail the test.
  ~TempDir() {
    std::error_code error;
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::filesystem::remove_all(path_, error);
      if (!error) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "cannot remove " << path_ << ": " << error.message();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The storage backends every contract test runs on.
enum class Backend { kSqlite, kPostgres };

inline void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::kSqlite ? "SQLite" : "PostgreSQL");
}

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// Instantiates a TEST_P suite on every backend:
//   MPOWER_ON_EVERY_BACKEND(ResourceManagerTest);
#define MPOWER_ON_EVERY_BACKEND(suite)                                               \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                          \
                           ::testing::Values(::mpower::testing::Backend::kSqlite,    \
                                             ::mpower::testing::Backend::kPostgres), \
                           ::mpower::testing::BackendName)

// A fresh PostgreSQL database on the test server (CTest's `postgres`
// fixture, or scripts/postgres.sh run), dropped when this object dies.
class PostgresTestDatabase {
 public:
  // Empty, or a copy of `original` (which no one may be connected to).
  explicit PostgresTestDatabase(const PostgresTestDatabase* original = nullptr) {
    // CTest's `postgres` fixture serves the URL tests/CMakeLists.txt
    // compiles in; the environment may name another server.
    const char* server = std::getenv("MPOWER_TEST_POSTGRES_URL");
    server_url_ = server != nullptr && *server != '\0' ? server : MPOWER_TEST_POSTGRES_URL;
    static std::atomic<int> counter{0};
    name_ = "mpower_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    error_ = Admin("CREATE DATABASE " + name_ +
                   (original != nullptr ? " TEMPLATE " + original->name_ : ""));
    if (!error_.empty()) {
      error_ = "cannot make a test database on " + server_url_ +
               " (run the tests with ctest, "
               "whose postgres fixture starts the server, or under scripts/postgres.sh run): " +
               error_;
      return;
    }
    const size_t slash = server_url_.find("/postgres");
    url_ = server_url_.substr(0, slash) + "/" + name_ +
           server_url_.substr(slash + std::string("/postgres").size());
  }
  ~PostgresTestDatabase() {
    if (!name_.empty() && error_.empty()) Admin("DROP DATABASE " + name_ + " WITH (FORCE)");
  }
  PostgresTestDatabase(const PostgresTestDatabase&) = delete;
  PostgresTestDatabase& operator=(const PostgresTestDatabase&) = delete;

  // "" if the database is ready, else why not.
  const std::string& error() const { return error_; }
  // The database's URL, for PostgresStore::Open or mpowerd --database.
  const std::string& url() const { return url_; }

  // Runs `sql` on this database, behind mpowerd's back; returns the first
  // row's first value as text, "" if there is none, or "error: ...".
  std::string QueryValue(const std::string& sql) const {
    PGconn* conn = PQconnectdb(url_.c_str());
    std::string value;
    if (PQstatus(conn) != CONNECTION_OK) {
      value = std::string("error: ") + PQerrorMessage(conn);
    } else {
      PGresult* result = PQexec(conn, sql.c_str());
      if (PQresultStatus(result) != PGRES_TUPLES_OK) {
        value = std::string("error: ") + PQresultErrorMessage(result);
      } else if (PQntuples(result) > 0) {
        value = PQgetvalue(result, 0, 0);
      }
      PQclear(result);
    }
    PQfinish(conn);
    return value;
  }

  // Runs `sql`, which returns no rows, on this database, behind mpowerd's
  // back; "" or the error.
  std::string Execute(const std::string& sql) const { return Run(url_, sql); }

 private:
  // Runs `sql` on the server's maintenance database; "" or the error.
  std::string Admin(const std::string& sql) { return Run(server_url_, sql); }

  // Runs `sql` on the database at `url`; "" or the error.
  static std::string Run(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
      error = PQerrorMessage(conn);
    } else {
      PGresult* result = PQexec(conn, sql.c_str());
      if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
      PQclear(result);
    }
    PQfinish(conn);
    return error;
  }

  std::string server_url_;
  std::string name_;
  std::string url_;
  std::string error_;
};

// Opens a store of `backend`: SQLite at `sqlite_path`, or PostgreSQL at
// `postgres->url()`.
inline absl::StatusOr<std::unique_ptr<Store>> OpenStore(Backend backend,
                                                        const std::string& sqlite_path,
                                                        const PostgresTestDatabase* postgres,
                                                        const Keyring* keyring) {
  if (backend == Backend::kSqlite) {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(sqlite_path, keyring);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(*std::move(store));
  }
  if (!postgres->error().empty()) return absl::UnavailableError(postgres->error());
  absl::StatusOr<std::unique_ptr<PostgresStore>> store =
      PostgresStore::Open(postgres->url(), keyring);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}

// A fresh store in a temporary directory (SQLite) or a fresh database
// (PostgreSQL), for the storage contract's tests: every suite built on it
// runs on every backend (MPOWER_ON_EVERY_BACKEND), and a new backend must
// pass them all.
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto keyring = Keyring::LoadOrCreate(dir_.path() + "/keys");
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    if (GetParam() == Backend::kPostgres) postgres_ = std::make_unique<PostgresTestDatabase>();
    auto store = OpenStore(GetParam(), database_path(), postgres_.get(), keyring_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void TearDown() override { store_.reset(); }
  std::string database_path() const { return dir_.path() + "/mpower.db"; }

  TempDir dir_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<PostgresTestDatabase> postgres_;  // for kPostgres
  std::unique_ptr<Store> store_;                    // declared last: closed first
};

// For end-to-end suites that run mpowerd on each backend
// (MPOWER_ON_EVERY_BACKEND): its SQLite default, or a fresh database on the
// test's PostgreSQL server.
class ServerBackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      postgres_ = std::make_unique<PostgresTestDatabase>();
      ASSERT_EQ(postgres_->error(), "");
    }
  }

  // mpowerd's flags: `flags`, and the database for this backend.
  std::vector<std::string> ServerFlags(std::vector<std::string> flags = {}) const {
    if (postgres_ != nullptr) flags.push_back("--database=" + postgres_->url());
    return flags;
  }

  std::unique_ptr<PostgresTestDatabase> postgres_;  // for kPostgres
};

// A fresh SQLite store, for tests of what only SQLite has: its files on
// disk, and SQL run on them behind mpowerd's back.
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keyring = Keyring::LoadOrCreate(dir_.path() + "/keys");
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    auto store = SqliteStore::Open(database_path(), keyring_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  std::string database_path() const { return dir_.path() + "/mpower.db"; }

  TempDir dir_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_TEST_SUPPORT_H_
