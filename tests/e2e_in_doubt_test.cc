// Three mpowerd replicas on one PostgreSQL under a steady load of creates
// (half with protected details, each with a request_id) and etag updates,
// while every replica's sessions are cut again and again
// (pg_terminate_backend, as a failover, a pooler restart or an idle-session
// reaper does) and PostgreSQL itself is restarted as after a crash. Commits
// whose answer is lost are resolved by asking the database, so afterwards:
// every acknowledged write is there once with all its text readable, no
// write answered "not written" is in the history, and no alert has lost its
// data key.

#include <libpq-fe.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "mpower/v1/alert.grpc.pb.h"
#include "mpower/v1/change.grpc.pb.h"
#include "tests/own_postgres.h"
#include "tests/process.h"
#include "tests/test_support.h"
#include "tests/write_load.h"

namespace mpower {
namespace {

using ::mpower::testing::OwnPostgres;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;

// The ErrorInfo reason of a failed call; "" if it carries none.
std::string ReasonOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const google::protobuf::Any& detail : details.details()) {
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&info)) return info.reason();
  }
  return "";
}

// How an attempt's failure is to be read.
enum class Failure { kNotWritten, kUnknown };
Failure Classify(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
      status.error_code() == grpc::StatusCode::CANCELLED ||
      ReasonOf(status) == "COMMIT_OUTCOME_UNKNOWN") {
    return Failure::kUnknown;
  }
  return Failure::kNotWritten;
}

// Figures and findings of the load, shared by its threads.
struct Ledger {
  std::mutex mutex;
  // Acknowledged creates: name to the person named in its details ("" for
  // an alert filed without any).
  std::map<std::string, std::string> created;
  // Creates answered "not written", never retried: they must not exist.
  std::set<std::string> not_created;
  // Headlines of updates answered "not written": no version may carry one.
  std::set<std::string> not_updated;
  // The last acknowledged headline of each updated alert.
  std::map<std::string, std::string> headline_of;
  int acknowledged_updates = 0;
  int unknown_answers = 0;  // failures a client must treat as unknown
  int not_written_answers = 0;
  std::string last_failure;
};

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(8));
  context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

void NoteFailure(Ledger& ledger, const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(ledger.mutex);
  (Classify(status) == Failure::kUnknown ? ledger.unknown_answers : ledger.not_written_answers)++;
  ledger.last_failure =
      std::to_string(status.error_code()) + " " + ReasonOf(status) + " " + status.error_message();
}

// Files alerts until told to stop: every other one names a person in its
// protected details. An unknown outcome is retried with the same
// request_id until it is acknowledged; a "not written" is believed, and the
// alert is never filed again.
void Create(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
            const std::string& prefix, const std::atomic<bool>& stop, Ledger& ledger) {
  auto stub = v1::AlertService::NewStub(channel);
  for (int i = 0; !stop; ++i) {
    const std::string id = prefix + "-" + std::to_string(i);
    const bool with_details = i % 2 == 0;
    const std::string person = with_details ? "Citlali Abernathy-Oduya " + id : "";
    v1::CreateAlertRequest request = testing::ProtectedAlertRequest("In doubt " + id, person);
    if (!with_details) request.mutable_alert()->clear_protected_details();
    request.set_alert_id(id);
    request.set_request_id("request-" + id);
    // After an unknown outcome, a later attempt's "not written" says
    // nothing of the earlier one: keep retrying until acknowledged.
    bool in_doubt = false;
    for (int attempt = 0; attempt < 100; ++attempt) {
      v1::CreateAlertResponse response;
      const grpc::Status status = stub->CreateAlert(Context(token).get(), request, &response);
      if (status.ok()) {
        std::lock_guard<std::mutex> lock(ledger.mutex);
        ledger.created[response.alert().name()] = person;
        break;
      }
      NoteFailure(ledger, status);
      if (!in_doubt && Classify(status) == Failure::kNotWritten) {
        std::lock_guard<std::mutex> lock(ledger.mutex);
        ledger.not_created.insert("alerts/" + id);
        break;
      }
      in_doubt = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

// Changes the headline of `name` with its etag until told to stop. An
// unknown outcome is retried with the same etag and headline: ABORTED then
// means the first attempt applied. A "not written" is believed.
void Update(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
            const std::string& name, const std::atomic<bool>& stop, Ledger& ledger) {
  auto stub = v1::AlertService::NewStub(channel);
  for (int n = 0; !stop; ++n) {
    v1::GetAlertRequest get;
    get.set_name(name);
    v1::GetAlertResponse current;
    if (!stub->GetAlert(Context(token).get(), get, &current).ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    v1::UpdateAlertRequest request;
    request.mutable_alert()->set_name(name);
    request.mutable_alert()->set_etag(current.alert().etag());
    const std::string headline = "Updated " + name.substr(7) + " #" + std::to_string(n);
    request.mutable_alert()->set_headline(headline);
    request.mutable_update_mask()->add_paths("headline");
    bool in_doubt = false;
    for (int attempt = 0; attempt < 100 && !stop; ++attempt) {
      v1::UpdateAlertResponse response;
      const grpc::Status status = stub->UpdateAlert(Context(token).get(), request, &response);
      if (status.ok() || (in_doubt && status.error_code() == grpc::StatusCode::ABORTED)) {
        // Applied, by this attempt or an earlier one whose answer was lost.
        std::lock_guard<std::mutex> lock(ledger.mutex);
        ledger.headline_of[name] = headline;
        ++ledger.acknowledged_updates;
        break;
      }
      NoteFailure(ledger, status);
      if (!in_doubt && Classify(status) == Failure::kNotWritten) {
        std::lock_guard<std::mutex> lock(ledger.mutex);
        ledger.not_updated.insert(headline);
        break;
      }
      in_doubt = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

// Cuts every session of the database's clients, every 100 ms for
// `duration`; returns how many it cut.
int CutSessions(const std::string& url, std::chrono::milliseconds duration) {
  PGconn* conn = PQconnectdb(url.c_str());
  int cut = 0;
  const auto until = std::chrono::steady_clock::now() + duration;
  while (PQstatus(conn) == CONNECTION_OK && std::chrono::steady_clock::now() < until) {
    PGresult* result = PQexec(conn,
                              "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                              "FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                              "AND backend_type = 'client backend'");
    if (PQresultStatus(result) == PGRES_TUPLES_OK) cut += std::stoi(PQgetvalue(result, 0, 0));
    PQclear(result);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  PQfinish(conn);
  return cut;
}

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(InDoubtFaultTest, CutSessionsAndACrashedDatabaseLoseNothingAndDenyNothingWritten) {
  OwnPostgres postgres;
  ASSERT_FALSE(postgres.url().empty());
  testing::TempDir dir;
  // Every replica seals with the same keys, made first as an operator would.
  const std::string keys = dir.path() + "/keys";
  ASSERT_EQ(mkdir(keys.c_str(), 0700), 0);
  ASSERT_EQ(RunCommand({MPOWERD_PATH, "--data-dir=" + dir.path() + "/scratch", "--key-dir=" + keys,
                        "keys", "rotate"})
                .exit_code,
            0);
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  for (int i = 0; i < 3; ++i) {
    const std::string data = dir.path() + "/replica-" + std::to_string(i);
    std::filesystem::create_directories(data);
    std::vector<std::string> flags = {"--database=" + postgres.url(), "--key-dir=" + keys,
                                      "--rate-limit=0"};
    if (i == 0) flags.push_back("--demo-data");
    replicas.push_back(std::make_unique<ServerProcess>(data, flags));
    ASSERT_GT(replicas.back()->port(), 0) << replicas.back()->log();
  }
  const std::string token = replicas[0]->admin_token();
  grpc::ChannelArguments balanced;
  balanced.SetLoadBalancingPolicyName("round_robin");
  auto all = grpc::CreateCustomChannel("ipv4:" + replicas[0]->address() + "," +
                                           replicas[1]->address() + "," + replicas[2]->address(),
                                       grpc::InsecureChannelCredentials(), balanced);

  // Alerts for the updaters, filed before the faults.
  Ledger ledger;
  std::atomic<bool> stop = false;
  std::vector<std::string> updated;
  for (int i = 0; i < 3; ++i) {
    v1::CreateAlertRequest request = testing::ProtectedAlertRequest("To update", "Updated person");
    request.set_alert_id("updated-" + std::to_string(i));
    v1::CreateAlertResponse response;
    ASSERT_TRUE(
        v1::AlertService::NewStub(all)->CreateAlert(Context(token).get(), request, &response).ok());
    updated.push_back(response.alert().name());
    ledger.created[response.alert().name()] = "Updated person";
  }
  std::vector<std::thread> load;
  for (int w = 0; w < 3; ++w) {
    load.emplace_back(Create, all, token, "w" + std::to_string(w), std::cref(stop),
                      std::ref(ledger));
  }
  for (const std::string& name : updated) {
    load.emplace_back(Update, all, token, name, std::cref(stop), std::ref(ledger));
  }

  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int cuts = CutSessions(postgres.url(), std::chrono::seconds(6));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(postgres.CrashRestart());
  std::this_thread::sleep_for(std::chrono::seconds(4));
  stop = true;
  for (std::thread& thread : load) thread.join();

  std::string logs;
  for (const auto& replica : replicas) logs += replica->log();
  std::cout << "acknowledged " << ledger.created.size() << " creates and "
            << ledger.acknowledged_updates << " updates; cut " << cuts
            << " sessions and crashed the database once; " << ledger.not_written_answers
            << " answers said not written, " << ledger.unknown_answers
            << " were unknown (retried); commits in doubt resolved as committed: "
            << Count(logs, "commit in doubt resolved: transaction") -
                   Count(logs, " aborted; its writes")
            << ", as aborted: " << Count(logs, " aborted; its writes")
            << ", unknown: " << Count(logs, "its writes are answered as of unknown outcome")
            << "; last failure: " << ledger.last_failure << "\n";
  EXPECT_GT(cuts, 0);
  EXPECT_GT(ledger.created.size(), 20u);

  // Every acknowledged alert is there with all its text; none answered
  // "not written" is.
  auto stub = v1::AlertService::NewStub(all);
  for (const auto& [name, person] : ledger.created) {
    v1::GetAlertRequest get;
    get.set_name(name);
    v1::GetAlertResponse response;
    const grpc::Status status = stub->GetAlert(Context(token).get(), get, &response);
    ASSERT_TRUE(status.ok()) << name << ": " << status.error_message();
    EXPECT_FALSE(response.alert().headline().empty()) << name << " lost its headline";
    if (!person.empty()) {
      ASSERT_EQ(response.alert().protected_details().people_size(), 1)
          << name << " lost its protected details";
      EXPECT_EQ(response.alert().protected_details().people(0).full_name(), person) << name;
    }
  }
  for (const std::string& name : ledger.not_created) {
    v1::GetAlertRequest get;
    get.set_name(name);
    v1::GetAlertResponse response;
    EXPECT_EQ(stub->GetAlert(Context(token).get(), get, &response).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << name << " was answered \"not written\" but exists";
  }
  for (const auto& [name, headline] : ledger.headline_of) {
    v1::GetAlertRequest get;
    get.set_name(name);
    v1::GetAlertResponse response;
    ASSERT_TRUE(stub->GetAlert(Context(token).get(), get, &response).ok());
    EXPECT_EQ(response.alert().headline(), headline) << name;
  }

  // The history: no gap, nothing twice, no update answered "not written".
  testing::ExpectRevisionsWithoutGaps(all, token);
  auto changes = v1::ChangeService::NewStub(all);
  v1::ListChangesRequest list;
  list.set_page_size(1000);
  list.mutable_filter()->add_collections("alerts");
  int versions = 0;
  do {
    v1::ListChangesResponse page;
    ASSERT_TRUE(changes->ListChanges(Context(token).get(), list, &page).ok());
    for (const v1::Change& change : page.changes()) {
      ++versions;
      EXPECT_EQ(ledger.not_updated.count(change.alert().headline()), 0u)
          << change.alert().headline() << " was answered \"not written\" but is in the history";
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_GT(versions, 0);
  for (const auto& replica : replicas) {
    EXPECT_EQ(replica->log().find("Citlali"), std::string::npos) << "a log names a person";
  }
}

}  // namespace
}  // namespace mpower
