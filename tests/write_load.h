#ifndef MPOWER_TESTS_WRITE_LOAD_H_
#define MPOWER_TESTS_WRITE_LOAD_H_

// Writers that keep a live mpowerd busy and remember what it acknowledged,
// and the checks that every acknowledged write is still there: shared by
// the crash and backup tests.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "mpower/v1/alert.grpc.pb.h"
#include "mpower/v1/change.grpc.pb.h"
#include "mpower/v1/commitment.grpc.pb.h"

namespace mpower::testing {

// A request filing a severe threat in Indonesia for the demo union, headed
// `headline`, naming `person` in its protected details (the sealed path).
inline v1::CreateAlertRequest ProtectedAlertRequest(const std::string& headline,
                                                    const std::string& person) {
  v1::CreateAlertRequest request;
  v1::Alert* alert = request.mutable_alert();
  alert->set_filing_partner("partners/example-union");
  alert->set_category(v1::Alert::CATEGORY_THREAT_OF_VIOLENCE);
  alert->set_severity(v1::Alert::SEVERITY_SEVERE);
  alert->set_urgency(v1::Alert::URGENCY_IMMEDIATE);
  alert->set_certainty(v1::Alert::CERTAINTY_LIKELY);
  alert->set_country_code("ID");
  alert->set_headline(headline);
  alert->mutable_protected_details()->add_people()->set_full_name(person);
  return request;
}

// What the server acknowledged: resource name to etag. (Servers under this
// load run with --rate-limit=0: the checks read every write back at once.)
using Acknowledged = std::map<std::string, std::string>;

// Writes until told to stop or the server goes away: commitments, and
// every fourth write an alert with protected details (the encrypted path).
inline void Write(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
                  const std::string& prefix, std::atomic<bool>& stop, std::mutex& mutex,
                  Acknowledged& acknowledged) {
  auto commitments = v1::CommitmentService::NewStub(channel);
  auto alerts = v1::AlertService::NewStub(channel);
  for (int i = 0; !stop; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    context.AddMetadata("authorization", "Bearer " + token);
    const std::string id = prefix + "-" + std::to_string(i);
    std::string name, etag;
    grpc::Status status;
    if (i % 4 == 3) {
      v1::CreateAlertRequest request = ProtectedAlertRequest("Crash test " + id, "Person " + id);
      request.set_alert_id(id);
      v1::CreateAlertResponse response;
      status = alerts->CreateAlert(&context, request, &response);
      name = response.alert().name();
      etag = response.alert().etag();
    } else {
      v1::CreateCommitmentRequest request;
      request.set_parent("partners/us-gov");
      request.set_commitment_id(id);
      request.mutable_commitment()->set_kind(v1::Commitment::KIND_POLICY);
      request.mutable_commitment()->set_title("Crash test " + id);
      v1::CreateCommitmentResponse response;
      status = commitments->CreateCommitment(&context, request, &response);
      name = response.commitment().name();
      etag = response.commitment().etag();
    }
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(mutex);
      acknowledged[name] = etag;
    } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
               status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return;  // the server is gone
    }
  }
}

// The etag of `name` now; "" if it does not exist; "(CODE: message)" if
// the server would not say (so a failure reads as what it is, not as a
// lost write).
inline std::string CurrentEtag(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& token, const std::string& name) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("authorization", "Bearer " + token);
  grpc::Status status;
  std::string etag;
  if (name.rfind("alerts/", 0) == 0) {
    v1::GetAlertRequest request;
    request.set_name(name);
    v1::GetAlertResponse response;
    status = v1::AlertService::NewStub(channel)->GetAlert(&context, request, &response);
    etag = response.alert().etag();
  } else {
    v1::GetCommitmentRequest request;
    request.set_name(name);
    v1::GetCommitmentResponse response;
    status = v1::CommitmentService::NewStub(channel)->GetCommitment(&context, request, &response);
    etag = response.commitment().etag();
  }
  if (status.ok()) return etag;
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return "";
  return "(" + std::to_string(status.error_code()) + ": " + status.error_message() + ")";
}

// Every revision in the change feed, checking there are no gaps and no
// change listed twice.
inline void ExpectRevisionsWithoutGaps(const std::shared_ptr<grpc::Channel>& channel,
                                       const std::string& token) {
  auto stub = v1::ChangeService::NewStub(channel);
  v1::ListChangesRequest request;
  request.set_page_size(1000);
  std::set<int64_t> revisions;
  std::set<std::pair<int64_t, std::string>> seen;
  int64_t current = 0;
  do {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    v1::ListChangesResponse response;
    grpc::Status status = stub->ListChanges(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const v1::Change& change : response.changes()) {
      EXPECT_TRUE(seen.emplace(change.revision(), change.name()).second)
          << "change listed twice: " << change.revision() << " " << change.name();
      revisions.insert(change.revision());
    }
    current = response.current_revision();
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  ASSERT_FALSE(revisions.empty());
  EXPECT_EQ(*revisions.begin(), 1);
  EXPECT_EQ(*revisions.rbegin(), current);
  EXPECT_EQ(static_cast<int64_t>(revisions.size()), current) << "a revision is missing";
}

// What SQLite's PRAGMA integrity_check says of the database at `path`:
// "ok" when it is whole.
inline std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return result;
}

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_WRITE_LOAD_H_
