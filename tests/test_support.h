#ifndef MPOWER_TESTS_TEST_SUPPORT_H_
#define MPOWER_TESTS_TEST_SUPPORT_H_

// Matchers and fixtures shared by the tests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/storage/sqlite/sqlite_store.h"

namespace mpower::testing {

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
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A fresh SQLite store in a temporary directory.
class StoreTest : public ::testing::Test {
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
