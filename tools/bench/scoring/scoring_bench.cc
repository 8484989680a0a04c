// jifen-bench-scoring: the benchmark of issue 3 ("Acceptance"), in one run, on this machine.
//
//   1. SubmitInspection over gRPC through a real jifen-scoring, closed loop at each --clients
//      level (each client its own thread, channel and inspection ids, households spread over
//      --villages villages, an uncapped rule item so caps never refuse), against a raw
//      single-row transactional insert (START TRANSACTION; INSERT; COMMIT) through the same
//      Connector/C++ at the same concurrency, one connection per thread, on the same server.
//   2. The replay of a --stream_entries ledger: the process is stopped, that many valid entries
//      (hash chain computed by MariaDB, caches updated) are bulk-inserted, the process is started
//      again and StreamEntries(after_sequence=0, follow=false) is read to the end.
//   3. The scoring process's peak RSS (VmHWM) after each phase.
// Besides the figures it prints what it learnt about where the time goes: CPU seconds per
// operation of the client, the scoring process and mariadbd, MariaDB status counters per operation
// (statements, prepares, commits, deadlocks, fsyncs, row-lock waits), GetWallet as the chassis
// baseline, the cost of a token check, the replay's database half without gRPC, InnoDB's latest
// deadlock, and (when the server runs with performance_schema) server time by statement kind.
//
// Needs the servers of tools/testenv/start.sh ($JIFEN_TESTENV), $JIFEN_SOURCE_DIR and
// $JIFEN_BINARY_DIR; tools/bench/scoring/run.sh sets all three up.
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/token.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/time/shanghai.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/rulebook.grpc.pb.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/testenv.h"

ABSL_FLAG(std::string, clients, "8,32", "concurrency levels, comma-separated");
ABSL_FLAG(int, warmup_seconds, 2, "unmeasured seconds before each measurement");
ABSL_FLAG(int, seconds, 10, "measured seconds per workload and concurrency level");
ABSL_FLAG(int, villages, 16, "seeded villages the inspections are spread over");
ABSL_FLAG(int, households_per_village, 32, "seeded households per village");
ABSL_FLAG(int64_t, stream_entries, 1000000, "ledger entries bulk-inserted for the replay");
ABSL_FLAG(bool, verify_chains, true,
          "after the replay, verify every village's chain through VerifyChain (proves the "
          "bulk-inserted entries valid; not part of any measurement)");
ABSL_FLAG(std::vector<std::string>, scoring_flags, {},
          "extra jifen-scoring flags, comma-separated (e.g. --inspection_writers=4), to try its "
          "settings; the results then say so");
ABSL_FLAG(std::string, command, "", "the command line to print (run.sh passes its own)");

namespace jifen::bench {
namespace {

namespace v1 = ::jifen::scoring::v1;
using testing::ScoringHarness;
using testing::SeededVillage;

// The uncapped rule item every benchmark inspection scores, and the deed date: a quarter that is
// over (so that its rulebook is in force) and that nobody settles.
constexpr char kItemCode[] = "BENCH-50";
constexpr int64_t kItemPoints = 50;
constexpr char kPeriod[] = "2025Q3";
const int64_t kDeedMs = absl::ToUnixMillis(
    absl::FromCivil(absl::CivilSecond(2025, 8, 15, 10, 0, 0), jifen::time::ShanghaiTime()));

// ------------------------------------------------------------------------------------------------
// The machine and the processes.

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string CpuModel() {
  for (absl::string_view line : absl::StrSplit(ReadWhole("/proc/cpuinfo"), '\n')) {
    if (absl::ConsumePrefix(&line, "model name")) {
      std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 1));
      if (parts.size() == 2) return std::string(absl::StripAsciiWhitespace(parts[1]));
    }
  }
  return "unknown";
}

std::string MemTotal() {
  for (absl::string_view line : absl::StrSplit(ReadWhole("/proc/meminfo"), '\n')) {
    if (absl::ConsumePrefix(&line, "MemTotal:")) {
      return std::string(absl::StripAsciiWhitespace(line));
    }
  }
  return "unknown";
}

// utime + stime of a process in seconds (0 if it can't be read).
double CpuSeconds(pid_t pid) {
  const std::string stat = ReadWhole(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  // After ") ": state is field 3; utime and stime are fields 14 and 15.
  std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 2), ' ');
  int64_t utime = 0;
  int64_t stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A "Vm...:" line of /proc/<pid>/status in KiB, or -1.
int64_t VmKib(pid_t pid, absl::string_view key) {
  for (absl::string_view line :
       absl::StrSplit(ReadWhole(absl::StrCat("/proc/", pid, "/status")), '\n')) {
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, ":")) {
      int64_t kib = 0;
      if (absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB"), &kib)) {
        return kib;
      }
    }
  }
  return -1;
}

pid_t MariaDbPid() {
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadWhole(testing::TestMySql().pid_file)),
                        &pid)) {
    return -1;
  }
  return pid;
}

// The harness reports problems as GoogleTest failures; outside a test they land in the ad hoc
// result. Prints the new ones and says whether there were any.
bool HarnessFailed(const char* step) {
  static int seen = 0;
  const ::testing::TestResult& result = ::testing::UnitTest::GetInstance()->ad_hoc_test_result();
  bool failed = false;
  for (; seen < result.total_part_count(); ++seen) {
    const ::testing::TestPartResult& part = result.GetTestPartResult(seen);
    if (part.failed()) {
      std::fprintf(stderr, "%s: %s\n", step, part.message());
      failed = true;
    }
  }
  return failed;
}

void Progress(const std::string& message) {
  std::fprintf(stderr, "[%s] %s\n",
               absl::FormatTime("%H:%M:%S", absl::Now(), absl::UTCTimeZone()).c_str(),
               message.c_str());
}

std::string Figure(double value, int decimals = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

// ------------------------------------------------------------------------------------------------
// MariaDB status counters, read before and after each measurement.

using Counters = std::map<std::string, int64_t>;

constexpr const char* kCounterNames[] = {
    "QUESTIONS",          "COM_STMT_PREPARE",      "COM_STMT_EXECUTE",     "COM_COMMIT",
    "INNODB_DATA_FSYNCS", "INNODB_ROW_LOCK_WAITS", "INNODB_ROW_LOCK_TIME", "HANDLER_READ_KEY",
    "HANDLER_READ_NEXT",  "HANDLER_READ_PREV",     "HANDLER_WRITE",        "BYTES_RECEIVED",
    "COM_ROLLBACK",       "INNODB_DEADLOCKS"};

absl::StatusOr<Counters> ReadCounters(mysql::ConnectionPool& pool) {
  Counters counters;
  const absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::vector<std::string> names(std::begin(kCounterNames), std::end(kCounterNames));
    std::string placeholders = "?";
    for (size_t i = 1; i < names.size(); ++i) placeholders += ", ?";
    const std::string query = absl::StrCat(
        "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
        "WHERE VARIABLE_NAME IN (",
        placeholders, ")");
    mysql::Statement statement(c, query.c_str());
    for (const std::string& name : names) statement.Bind(name);
    auto rows = statement.Query();
    while (rows->next()) {
      int64_t value = 0;
      if (absl::SimpleAtoi(mysql::GetString(*rows, "VARIABLE_VALUE"), &value)) {
        counters[mysql::GetString(*rows, "VARIABLE_NAME")] = value;
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return counters;
}

// ------------------------------------------------------------------------------------------------
// A closed-loop driver: `clients` threads, each running its own operation back to back.

// One client's operation; `n` counts its calls from 0. Built in the client's own thread.
using Operation = std::function<absl::Status(int64_t n)>;
using MakeOperation = std::function<absl::StatusOr<Operation>(int client)>;

struct Usage {
  double client_cpu_s = 0;   // this process (the benchmark's clients)
  double scoring_cpu_s = 0;  // the jifen-scoring process
  double mariadb_cpu_s = 0;
};

struct LoadResult {
  std::string name;
  int clients = 0;
  int64_t ops = 0;
  int64_t errors = 0;
  std::string first_error;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  Usage usage;
  Counters counters;  // deltas over the measurement
  double ops_per_second() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

class ProcessWatch final {
 public:
  ProcessWatch(pid_t scoring, pid_t mariadb) : scoring_(scoring), mariadb_(mariadb) {}
  Usage Now() const {
    return {CpuSeconds(getpid()), scoring_ > 0 ? CpuSeconds(scoring_) : 0,
            mariadb_ > 0 ? CpuSeconds(mariadb_) : 0};
  }

 private:
  pid_t scoring_;
  pid_t mariadb_;
};

// Called just before and just after the measured window (outside it for the counters).
struct WindowHooks {
  std::function<void()> before;
  std::function<void()> after;
};

LoadResult RunClosedLoop(const std::string& name, int clients, const MakeOperation& make,
                         const ProcessWatch& watch, mysql::ConnectionPool& admin_pool,
                         const WindowHooks& hooks = {}) {
  enum Phase : int { kWarmup = 0, kMeasure = 1, kStop = 2 };
  std::atomic<int> phase{kWarmup};
  std::atomic<int> ready{0};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<float>> latencies_ms(clients);
  std::vector<std::string> setup_errors(clients);
  std::vector<std::string> op_errors(clients);
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int client = 0; client < clients; ++client) {
    threads.emplace_back([&, client] {
      absl::StatusOr<Operation> operation = make(client);
      ready.fetch_add(1);
      if (!operation.ok()) {
        setup_errors[client] = operation.status().ToString();
        return;
      }
      std::vector<float>& mine = latencies_ms[client];
      mine.reserve(1 << 16);
      for (int64_t n = 0; phase.load(std::memory_order_relaxed) != kStop; ++n) {
        const absl::Time start = absl::Now();
        const absl::Status status = (*operation)(n);
        const absl::Time end = absl::Now();
        // An operation counts if it completes inside the measured window.
        if (phase.load(std::memory_order_relaxed) != kMeasure) continue;
        if (!status.ok()) {
          errors.fetch_add(1);
          if (op_errors[client].empty()) op_errors[client] = status.ToString();
          continue;
        }
        mine.push_back(static_cast<float>(absl::ToDoubleMilliseconds(end - start)));
      }
    });
  }
  while (ready.load() < clients) absl::SleepFor(absl::Milliseconds(10));
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_warmup_seconds)));

  LoadResult result;
  result.name = name;
  result.clients = clients;
  if (hooks.before) hooks.before();
  const absl::StatusOr<Counters> before = ReadCounters(admin_pool);
  const Usage usage_before = watch.Now();
  const absl::Time start = absl::Now();
  phase.store(kMeasure);
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_seconds)));
  phase.store(kStop);
  const absl::Time end = absl::Now();
  const Usage usage_after = watch.Now();
  const absl::StatusOr<Counters> after = ReadCounters(admin_pool);
  if (hooks.after) hooks.after();
  for (std::thread& thread : threads) thread.join();

  result.seconds = absl::ToDoubleSeconds(end - start);
  result.usage = {usage_after.client_cpu_s - usage_before.client_cpu_s,
                  usage_after.scoring_cpu_s - usage_before.scoring_cpu_s,
                  usage_after.mariadb_cpu_s - usage_before.mariadb_cpu_s};
  if (before.ok() && after.ok()) {
    for (const auto& [key, value] : *after) {
      const auto it = before->find(key);
      if (it != before->end()) result.counters[key] = value - it->second;
    }
  }
  std::vector<float> all;
  for (int client = 0; client < clients; ++client) {
    all.insert(all.end(), latencies_ms[client].begin(), latencies_ms[client].end());
    if (result.first_error.empty() && !setup_errors[client].empty()) {
      result.first_error = "setup: " + setup_errors[client];
    }
    if (result.first_error.empty() && !op_errors[client].empty()) {
      result.first_error = op_errors[client];
    }
  }
  result.ops = static_cast<int64_t>(all.size());
  result.errors = errors.load();
  if (!all.empty()) {
    const auto at = [&all](double q) {
      const size_t index = std::min(all.size() - 1, static_cast<size_t>(q * all.size()));
      std::nth_element(all.begin(), all.begin() + index, all.end());
      return static_cast<double>(all[index]);
    };
    result.p50_ms = at(0.50);
    result.p99_ms = at(0.99);
  }
  return result;
}

// ------------------------------------------------------------------------------------------------
// Setup through the service: villages, and a 2025 rulebook with the uncapped benchmark item.

absl::Status PublishBenchRulebook(ScoringHarness& harness, int64_t village_id) {
  auto rulebooks = v1::RulebookService::NewStub(harness.channel());
  const std::string admin = harness.VillageAdminToken(village_id);
  v1::CreateDraftRequest draft_request;
  draft_request.set_village_id(village_id);
  draft_request.set_year(2025);
  draft_request.set_effective_from("2025-01-01");
  v1::Rulebook draft;
  grpc::Status status =
      rulebooks->CreateDraft(ScoringHarness::Context(admin).get(), draft_request, &draft);
  if (!status.ok()) return grpc_util::FromGrpcStatus(status);

  v1::PutItemRequest put;
  put.set_rulebook_id(draft.rulebook_id());
  v1::RuleItem* item = put.mutable_item();
  item->set_code(kItemCode);
  item->set_name("基准测试: 美丽庭院示范户");
  item->set_category(v1::CATEGORY_VILLAGE_SPECIFIC);
  item->set_scope(v1::SCOPE_INDOOR_COURTYARD);
  item->set_points(kItemPoints);  // no cap: caps never refuse a benchmark inspection
  item->add_allowed_roles("grid_worker");
  v1::Rulebook updated;
  status = rulebooks->PutItem(ScoringHarness::Context(admin).get(), put, &updated);
  if (!status.ok()) return grpc_util::FromGrpcStatus(status);

  v1::RecordVoteRequest vote;
  vote.set_rulebook_id(draft.rulebook_id());
  vote.mutable_vote()->set_meeting_date("2024-12-20");
  vote.mutable_vote()->set_members(21);
  vote.mutable_vote()->set_attending(15);
  vote.mutable_vote()->set_in_favour(11);
  status = rulebooks->RecordVote(ScoringHarness::Context(admin).get(), vote, &updated);
  if (!status.ok()) return grpc_util::FromGrpcStatus(status);

  v1::PublishRequest publish;
  publish.set_rulebook_id(draft.rulebook_id());
  status = rulebooks->Publish(ScoringHarness::Context(admin).get(), publish, &updated);
  return grpc_util::FromGrpcStatus(status);
}

struct BenchVillage {
  SeededVillage seeded;
  std::string grid_worker_token;
};

// ------------------------------------------------------------------------------------------------
// Workload 1a: SubmitInspection through the service.

MakeOperation SubmitInspections(const std::string& address,
                                const std::vector<BenchVillage>& villages, int clients) {
  return [&address, &villages, clients](int client) -> absl::StatusOr<Operation> {
    // Each client its own channel (NewChannel uses a local subchannel pool: its own connection).
    std::shared_ptr<grpc::Channel> channel = grpc_util::NewChannel(address, 16 << 20);
    std::shared_ptr<v1::AssessmentService::Stub> stub = v1::AssessmentService::NewStub(channel);
    auto random = std::make_shared<std::mt19937_64>(clients * 1000 + client);
    return [&villages, clients, client, channel, stub, random](int64_t n) -> absl::Status {
      const BenchVillage& village = villages[(*random)() % villages.size()];
      const std::vector<int64_t>& households = village.seeded.household_ids;
      v1::SubmitInspectionRequest request;
      request.set_inspection_id(absl::StrCat("bench-", clients, "-", client, "-", n));
      request.set_household_id(households[(*random)() % households.size()]);
      request.set_occurred_at_ms(kDeedMs + n % 1000);
      v1::InspectionOutcome* outcome = request.add_outcomes();
      outcome->set_item_code(kItemCode);
      outcome->add_photo_refs(std::string(64, 'f'));
      v1::SubmitInspectionResponse response;
      const grpc::Status status = stub->SubmitInspection(
          ScoringHarness::Context(village.grid_worker_token).get(), request, &response);
      if (!status.ok()) return grpc_util::FromGrpcStatus(status);
      if (response.entries_size() != 1) return absl::InternalError("expected one entry");
      return absl::OkStatus();
    };
  };
}

// For comparison only: GetWallet, the same chassis (gRPC, token check, log line, metrics) around
// two single-row reads on pooled connections and no transaction.
MakeOperation GetWallets(const std::string& address, const std::vector<BenchVillage>& villages,
                         int clients) {
  return [&address, &villages, clients](int client) -> absl::StatusOr<Operation> {
    std::shared_ptr<grpc::Channel> channel = grpc_util::NewChannel(address, 16 << 20);
    std::shared_ptr<v1::LedgerService::Stub> stub = v1::LedgerService::NewStub(channel);
    auto random = std::make_shared<std::mt19937_64>(clients * 1000 + client + 7);
    return [&villages, channel, stub, random](int64_t) -> absl::Status {
      const BenchVillage& village = villages[(*random)() % villages.size()];
      const std::vector<int64_t>& households = village.seeded.household_ids;
      v1::GetWalletRequest request;
      request.set_household_id(households[(*random)() % households.size()]);
      v1::Wallet wallet;
      return grpc_util::FromGrpcStatus(stub->GetWallet(
          ScoringHarness::Context(village.grid_worker_token).get(), request, &wallet));
    };
  };
}

// ------------------------------------------------------------------------------------------------
// Investigation: MariaDB's own account of the service's statements, when the server runs with
// --performance-schema=ON (JIFEN_MYSQL_EXTRA_ARGS); the headline figures are taken without it.

bool PerformanceSchemaOn(mysql::ConnectionPool& pool) {
  bool on = false;
  (void)mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    auto rows = mysql::Statement(c, "SELECT @@performance_schema").Query();
    on = rows->next() && rows->getInt(1) == 1;
    return absl::OkStatus();
  });
  return on;
}

void ResetDigests(mysql::ConnectionPool& pool) {
  (void)mysql::RunWithConnection(pool, [](sql::Connection& c) {
    mysql::Statement(c, "TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
        .Update();
    mysql::Statement(
        c, "TRUNCATE TABLE performance_schema.events_statements_summary_global_by_event_name")
        .Update();
    return absl::OkStatus();
  });
}

// Server time by kind of statement over the window, per measured operation. Statements sent
// through the binary protocol (prepared) show up by command (Prepare, Execute, Close stmt), the
// others by digest.
std::string DigestReport(mysql::ConnectionPool& pool, const std::string& database,
                         const LoadResult& result) {
  std::string report = absl::StrCat(
      "\nServer time MariaDB spent for ", result.name, " at ", result.clients,
      " clients (performance_schema, measured window, ", result.ops,
      " operations):\n\n| statement | calls per op | server us per call | server us per op | "
      "rows examined per call |\n|---|---:|---:|---:|---:|\n");
  const double ops = result.ops > 0 ? static_cast<double>(result.ops) : 1;
  double total_us = 0;
  const auto add_rows = [&](sql::ResultSet& rows) {
    while (rows.next()) {
      std::string text = mysql::GetString(rows, "what");
      if (text.find("GLOBAL_STATUS") != std::string::npos) continue;  // our own counters
      std::replace(text.begin(), text.end(), '|', '/');
      std::replace(text.begin(), text.end(), '`', ' ');
      if (text.size() > 100) text = text.substr(0, 97) + "...";
      const double calls = static_cast<double>(rows.getInt64("calls"));
      const double us = static_cast<double>(rows.getUInt64("picoseconds")) / 1e6;
      total_us += us;
      absl::StrAppend(&report, "| ", text, " | ", Figure(calls / ops, 2), " | ",
                      Figure(us / calls, 0), " | ", Figure(us / ops, 0), " | ",
                      Figure(static_cast<double>(rows.getInt64("examined")) / calls, 1), " |\n");
    }
  };
  const absl::Status read = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    auto by_command = mysql::Statement(c,
                                       "SELECT EVENT_NAME AS what, COUNT_STAR AS calls, "
                                       "SUM_TIMER_WAIT AS picoseconds, SUM_ROWS_EXAMINED AS "
                                       "examined FROM performance_schema."
                                       "events_statements_summary_global_by_event_name WHERE "
                                       "EVENT_NAME LIKE 'statement/com/%' AND COUNT_STAR > 0 "
                                       "ORDER BY SUM_TIMER_WAIT DESC")
                          .Query();
    add_rows(*by_command);
    auto by_digest = mysql::Statement(c,
                                      "SELECT DIGEST_TEXT AS what, COUNT_STAR AS calls, "
                                      "SUM_TIMER_WAIT AS picoseconds, SUM_ROWS_EXAMINED AS "
                                      "examined FROM performance_schema."
                                      "events_statements_summary_by_digest WHERE SCHEMA_NAME = ? "
                                      "AND COUNT_STAR > 0 ORDER BY SUM_TIMER_WAIT DESC LIMIT 20")
                         .Bind(database)
                         .Query();
    add_rows(*by_digest);
    return absl::OkStatus();
  });
  if (!read.ok()) absl::StrAppend(&report, "\n(performance_schema: ", read.ToString(), ")\n");
  absl::StrAppend(&report, "\nServer time in these statements: ", Figure(total_us / ops, 0),
                  " us per operation (statement/com/Execute includes the time of the statement "
                  "it runs).\n");
  return report;
}

// The gist of InnoDB's latest detected deadlock (which statements, which index records), or "".
std::string LatestDeadlock(mysql::ConnectionPool& pool) {
  std::string status;
  (void)mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    // A constant administrative statement (no data bound), as transaction.cc runs its own.
    std::unique_ptr<sql::Statement> show(c.createStatement());
    std::unique_ptr<sql::ResultSet> rows(show->executeQuery("SHOW ENGINE INNODB STATUS"));
    if (rows->next()) status = rows->getString("Status").asStdString();
    return absl::OkStatus();
  });
  const size_t begin = status.find("LATEST DETECTED DEADLOCK");
  if (begin == std::string::npos) return "";
  const size_t end = status.find("\nTRANSACTIONS\n", begin);
  std::string gist;
  absl::string_view previous;
  int lines = 0;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(status).substr(begin, end - begin), '\n')) {
    const bool wanted = absl::StartsWith(line, "*** ") || absl::StrContains(line, "RECORD LOCKS") ||
                        absl::StartsWith(line, "INSERT") || absl::StartsWith(line, "SELECT") ||
                        absl::StartsWith(line, "UPDATE");
    // One transaction may list hundreds of identical lock lines; one of each is enough.
    if (!wanted || line == previous || ++lines > 24) continue;
    previous = line;
    absl::StrAppend(&gist, "    ", line.substr(0, 160), "\n");
  }
  return gist;
}

// What the service pays to check a caller's token, measured here on the same key and library
// (libjwt ES256, as common/auth/token.cc uses it): single thread, `rounds` times.
std::string TokenCost(const ScoringHarness& harness, const std::string& token, int rounds) {
  absl::StatusOr<std::unique_ptr<auth::TokenVerifier>> verifier =
      auth::TokenVerifier::FromPublicKeyFile(harness.public_key_path(), {});
  if (!verifier.ok()) return verifier.status().ToString();
  const absl::Time now = absl::Now();
  const double cpu_before = CpuSeconds(getpid());
  const absl::Time start = absl::Now();
  int ok = 0;
  for (int i = 0; i < rounds; ++i) ok += (*verifier)->Verify(token, now).ok();
  const double wall_us = absl::ToDoubleMicroseconds(absl::Now() - start) / rounds;
  const double cpu_us = 1e6 * (CpuSeconds(getpid()) - cpu_before) / rounds;
  return absl::StrCat("TokenVerifier::Verify (ES256, libjwt): ", Figure(wall_us, 0),
                      " us per call (", Figure(cpu_us, 0), " us CPU), ", ok, " of ", rounds,
                      " verified");
}

// ------------------------------------------------------------------------------------------------
// Workload 1b: the raw single-row transactional insert, one connection per client.

constexpr char kRawTableDdl[] =
    "CREATE TABLE bench_raw_inserts ("
    "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    "  client INT NOT NULL,"
    "  op BIGINT NOT NULL,"
    "  source_id VARCHAR(80) NOT NULL,"
    "  points BIGINT NOT NULL,"
    "  recorded_at_ms BIGINT NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

struct RawClient {
  mysql::PooledConnection connection;
  std::unique_ptr<sql::Statement> control;
  std::unique_ptr<sql::PreparedStatement> insert;
};

MakeOperation RawInserts(mysql::ConnectionPool& pool, int clients) {
  return [&pool, clients](int client) -> absl::StatusOr<Operation> {
    absl::StatusOr<mysql::PooledConnection> connection = pool.Acquire();
    if (!connection.ok()) return connection.status();
    auto state = std::make_shared<RawClient>(RawClient{*std::move(connection), nullptr, nullptr});
    try {
      state->control.reset(state->connection->createStatement());
      // Prepared once per client: the cheapest way the connector can do it.
      state->insert.reset(state->connection->prepareStatement(
          "INSERT INTO bench_raw_inserts (client, op, source_id, points, recorded_at_ms) "
          "VALUES (?, ?, ?, ?, ?)"));
    } catch (const sql::SQLException& e) {
      return state->connection.HandleError(e);
    }
    return [state, clients, client](int64_t n) -> absl::Status {
      try {
        state->control->execute("START TRANSACTION");
        state->insert->setInt(1, client);
        state->insert->setInt64(2, n);
        state->insert->setString(3, absl::StrCat("raw-", clients, "-", client, "-", n));
        state->insert->setInt64(4, kItemPoints);
        state->insert->setInt64(5, absl::ToUnixMillis(absl::Now()));
        state->insert->executeUpdate();
        state->control->execute("COMMIT");
      } catch (const sql::SQLException& e) {
        return state->connection.HandleError(e);
      }
      return absl::OkStatus();
    };
  };
}

// ------------------------------------------------------------------------------------------------
// Part 2: the bulk insert of a long ledger, with the service stopped.

// One SQL field of ledger_hash.cc's CanonicalBytes: "<byte length>:<value>;".
std::string Field(absl::string_view value) { return absl::StrCat(value.size(), ":", value, ";"); }
std::string SqlField(const char* expression) {
  return absl::StrCat("LENGTH(", expression, "), ':', ", expression, ", ';'");
}

// Appends `count` score entries of kItemCode to the village's chain, spread over its households,
// in one INSERT ... SELECT from the SEQUENCE engine. MariaDB computes each entry's hash exactly as
// services/scoring/storage/ledger_hash.cc does (SHA-256 over "<prev_hash>|<canonical bytes>"),
// carrying the chain in a user variable; the rows are evaluated and inserted in the same order,
// so each row's prev_hash is the hash of the row inserted before it. The caches beside the ledger
// (ledger_heads, period_scores) are updated in the same transaction, so every invariant holds.
absl::Status AppendBulkEntries(mysql::ConnectionPool& pool, const BenchVillage& village,
                               int64_t count) {
  const SeededVillage& seeded = village.seeded;
  return mysql::RunInTransaction(pool, [&](sql::Connection& c) -> absl::Status {
    // What the service wrote for this item (category and reason), so the rows look alike.
    auto sample = mysql::Statement(c,
                                   "SELECT category, reason FROM ledger_entries "
                                   "WHERE village_id = ? AND item_code = ? LIMIT 1")
                      .Bind(seeded.village_id)
                      .Bind(kItemCode)
                      .Query();
    if (!sample->next()) return absl::FailedPreconditionError("no benchmark entry to copy");
    const std::string category = mysql::GetString(*sample, "category");
    const std::string reason = mysql::GetString(*sample, "reason");

    mysql::Statement(c,
                     "INSERT INTO ledger_heads (village_id, head_sequence, head_hash, entries) "
                     "VALUES (?, 0, '', 0) ON DUPLICATE KEY UPDATE village_id = village_id")
        .Bind(seeded.village_id)
        .Update();
    auto head = mysql::Statement(c,
                                 "SELECT head_sequence, head_hash FROM ledger_heads "
                                 "WHERE village_id = ? FOR UPDATE")
                    .Bind(seeded.village_id)
                    .Query();
    if (!head->next()) return absl::InternalError("ledger head vanished");
    const int64_t old_head = head->getInt64("head_sequence");
    mysql::Statement(c, "SET @bench_head = ?").Bind(mysql::GetString(*head, "head_hash")).Update();

    const int64_t recorded_at_ms = absl::ToUnixMillis(absl::Now());
    const std::string actor = seeded.grid_worker_user_id;
    const std::string village_part =
        absl::StrCat("jifen-ledger-v1;", Field(absl::StrCat(seeded.village_id)));
    const std::string middle_part =
        absl::StrCat(Field("1"), Field(absl::StrCat(kItemPoints)), Field(kPeriod), Field(kItemCode),
                     Field(category), Field(reason), Field("1"));
    const std::string actor_part = absl::StrCat(Field("0"), Field(actor), Field("grid_worker"));
    const std::string recorded_part = Field(absl::StrCat(recorded_at_ms));

    const size_t households = seeded.household_ids.size();
    std::string household_list = "?";
    for (size_t i = 1; i < households; ++i) household_list += ", ?";
    // The SEQUENCE engine's table name carries the row count; it is a number we made.
    const std::string query = absl::StrCat(
        "INSERT INTO ledger_entries (village_id, household_id, group_id, account, points, period, "
        "item_code, category, reason, source, source_id, reverses_sequence, actor_user_id, "
        "actor_role, occurred_at_ms, recorded_at_ms, prev_hash, hash) "
        "SELECT ?, d.household_id, d.group_id, 1, ?, ?, ?, ?, ?, 1, d.source_id, NULL, ?, "
        "'grid_worker', d.occurred_at_ms, ?, @bench_prev := @bench_head, "
        "@bench_head := SHA2(CONCAT(@bench_prev, '|', ?, ",
        SqlField("d.household_id"), ", ", SqlField("d.group_id"), ", ?, ", SqlField("d.source_id"),
        ", ?, ", SqlField("d.occurred_at_ms"),
        ", ?), 256) "
        "FROM (SELECT ELT(1 + seq MOD ?, ",
        household_list,
        ") AS household_id, "
        "ELT(1 + seq MOD ?, ",
        household_list,
        ") AS group_id, "
        "CONCAT('bulk-', ?, '-', seq) AS source_id, ? + seq AS occurred_at_ms "
        "FROM seq_1_to_",
        count, ") d");
    mysql::Statement insert(c, query.c_str());
    insert.Bind(seeded.village_id)
        .Bind(kItemPoints)
        .Bind(kPeriod)
        .Bind(kItemCode)
        .Bind(category)
        .Bind(reason)
        .Bind(actor)
        .Bind(recorded_at_ms)
        .Bind(village_part)
        .Bind(middle_part)
        .Bind(actor_part)
        .Bind(recorded_part);
    insert.Bind(static_cast<int64_t>(households));
    for (int64_t id : seeded.household_ids) insert.Bind(id);
    insert.Bind(static_cast<int64_t>(households));
    for (size_t i = 0; i < households; ++i) {
      // SeedVillage spreads households over the groups in turn.
      insert.Bind(seeded.group_ids[i % seeded.group_ids.size()]);
    }
    insert.Bind(seeded.village_id).Bind(kDeedMs);
    const int inserted = insert.Update();
    if (inserted != count) {
      return absl::InternalError(absl::StrCat("inserted ", inserted, " of ", count, " rows"));
    }

    mysql::Statement(c,
                     "UPDATE ledger_heads SET head_sequence = (SELECT MAX(sequence) FROM "
                     "ledger_entries WHERE village_id = ?), head_hash = @bench_head, "
                     "entries = entries + ? WHERE village_id = ?")
        .Bind(seeded.village_id)
        .Bind(count)
        .Bind(seeded.village_id)
        .Update();
    mysql::Statement(c,
                     "INSERT INTO period_scores (village_id, household_id, period, score) "
                     "SELECT village_id, household_id, period, SUM(points) FROM ledger_entries "
                     "WHERE village_id = ? AND sequence > ? GROUP BY household_id, period "
                     "ON DUPLICATE KEY UPDATE score = score + VALUES(score)")
        .Bind(seeded.village_id)
        .Bind(old_head)
        .Update();
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------------------------------------
// Part 2: the replay.

struct ReplayResult {
  int64_t entries = 0;
  double seconds = 0;
  bool ordered = true;
  int64_t last_sequence = 0;
  std::string error;
  double entries_per_second() const {
    return seconds > 0 ? static_cast<double>(entries) / seconds : 0;
  }
};

// Investigation: the database half of the replay, without gRPC. The same query shape as
// MySqlLedger::ReadRange (kStreamBatch = 5000 rows by sequence, prepared, 19 columns), read in
// this process through the same connector, by column name (as ReadEntry does) or by index.
struct FetchResult {
  int64_t rows = 0;
  double seconds = 0;
  double client_cpu_s = 0;
};

FetchResult FetchLedger(mysql::ConnectionPool& pool, bool by_name) {
  constexpr int kBatch = 5000;
  constexpr const char* kColumns[] = {
      "village_id",     "sequence",       "household_id", "group_id",      "account",
      "points",         "period",         "item_code",    "category",      "reason",
      "source",         "source_id",      "reverses",     "actor_user_id", "actor_role",
      "occurred_at_ms", "recorded_at_ms", "prev_hash",    "hash"};
  constexpr bool kIsNumber[] = {true, true,  true, true,  true,  true, false, false, false, false,
                                true, false, true, false, false, true, true,  false, false};
  FetchResult result;
  const double cpu_before = CpuSeconds(getpid());
  const absl::Time start = absl::Now();
  int64_t cursor = 0;
  int64_t checksum = 0;
  for (bool more = true; more;) {
    const absl::Status read = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
      auto rows = mysql::Statement(c,
                                   "SELECT village_id, sequence, household_id, group_id, "
                                   "account, points, period, item_code, category, reason, "
                                   "source, source_id, COALESCE(reverses_sequence, 0) AS "
                                   "reverses, actor_user_id, actor_role, occurred_at_ms, "
                                   "recorded_at_ms, prev_hash, hash FROM ledger_entries "
                                   "WHERE sequence > ? AND sequence <= ? ORDER BY sequence "
                                   "LIMIT ?")
                      .Bind(cursor)
                      .Bind(INT64_MAX)
                      .Bind(kBatch)
                      .Query();
      int batch = 0;
      while (rows->next()) {
        for (int i = 0; i < 19; ++i) {
          if (kIsNumber[i]) {
            checksum += by_name ? rows->getInt64(kColumns[i]) : rows->getInt64(i + 1);
          } else {
            checksum += static_cast<int64_t>(
                (by_name ? rows->getString(kColumns[i]) : rows->getString(i + 1))
                    .asStdString()
                    .size());
          }
        }
        cursor = rows->getInt64(2);
        ++batch;
      }
      result.rows += batch;
      more = batch == kBatch;
      return absl::OkStatus();
    });
    if (!read.ok()) break;
  }
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  result.client_cpu_s = CpuSeconds(getpid()) - cpu_before;
  (void)checksum;
  return result;
}

ReplayResult ReplayStream(const std::string& address, const std::string& service_token) {
  ReplayResult result;
  std::shared_ptr<grpc::Channel> channel = grpc_util::NewChannel(address, 16 << 20);
  auto ledger = v1::LedgerService::NewStub(channel);
  std::unique_ptr<grpc::ClientContext> context =
      grpc_util::NewClientContext(absl::Minutes(10), service_token);
  v1::StreamEntriesRequest request;
  request.set_after_sequence(0);
  request.set_follow(false);
  const absl::Time start = absl::Now();
  auto reader = ledger->StreamEntries(context.get(), request);
  v1::LedgerEntryBatch message;
  while (reader->Read(&message)) {
    for (const v1::LedgerEntry& entry : message.entries()) {
      ++result.entries;
      if (entry.sequence() <= result.last_sequence) result.ordered = false;
      result.last_sequence = entry.sequence();
    }
  }
  const grpc::Status status = reader->Finish();
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!status.ok()) result.error = status.error_message();
  return result;
}

// ------------------------------------------------------------------------------------------------
// The report.

double PerOp(const LoadResult& result, const char* counter) {
  const auto it = result.counters.find(counter);
  if (it == result.counters.end() || result.ops == 0) return 0;
  return static_cast<double>(it->second) / static_cast<double>(result.ops);
}

void PrintBreakdown(const std::vector<LoadResult>& results) {
  std::printf(
      "\nWhere the time goes (per successful operation over the measured window; CPU from "
      "/proc/<pid>/stat, counters from information_schema.GLOBAL_STATUS):\n\n");
  std::printf(
      "| workload | clients | CPU busy %% of %ld cores | client CPU us | scoring CPU us | "
      "mariadbd CPU us | statements | prepares | commits | rollbacks | deadlocks | fsyncs | "
      "row-lock waits | "
      "row-lock wait ms | index reads | rows written | bytes to server |\n",
      sysconf(_SC_NPROCESSORS_ONLN));
  std::printf(
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const LoadResult& r : results) {
    const double ops = r.ops > 0 ? static_cast<double>(r.ops) : 1;
    const double busy = 100.0 *
                        (r.usage.client_cpu_s + r.usage.scoring_cpu_s + r.usage.mariadb_cpu_s) /
                        (r.seconds * static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN)));
    std::printf(
        "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
        r.name.c_str(), r.clients, Figure(busy).c_str(),
        Figure(1e6 * r.usage.client_cpu_s / ops).c_str(),
        Figure(1e6 * r.usage.scoring_cpu_s / ops).c_str(),
        Figure(1e6 * r.usage.mariadb_cpu_s / ops).c_str(), Figure(PerOp(r, "QUESTIONS"), 1).c_str(),
        Figure(PerOp(r, "COM_STMT_PREPARE"), 1).c_str(), Figure(PerOp(r, "COM_COMMIT"), 1).c_str(),
        Figure(PerOp(r, "COM_ROLLBACK"), 2).c_str(),
        Figure(PerOp(r, "INNODB_DEADLOCKS"), 2).c_str(),
        Figure(PerOp(r, "INNODB_DATA_FSYNCS"), 2).c_str(),
        Figure(PerOp(r, "INNODB_ROW_LOCK_WAITS"), 2).c_str(),
        Figure(PerOp(r, "INNODB_ROW_LOCK_TIME"), 2).c_str(),
        Figure(PerOp(r, "HANDLER_READ_KEY") + PerOp(r, "HANDLER_READ_NEXT") +
                   PerOp(r, "HANDLER_READ_PREV"),
               1)
            .c_str(),
        Figure(PerOp(r, "HANDLER_WRITE"), 1).c_str(),
        Figure(PerOp(r, "BYTES_RECEIVED"), 0).c_str());
  }
}

std::string Verdict(bool met) { return met ? "met" : "MISSED"; }

int Run(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As the services do (common/config/config.cc): the load generator must not serialise itself.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<int> levels;
  for (absl::string_view level : absl::StrSplit(absl::GetFlag(FLAGS_clients), ',')) {
    int clients = 0;
    if (!absl::SimpleAtoi(level, &clients) || clients < 1 || clients > 512) {
      std::fprintf(stderr, "--clients: bad level '%s'\n", std::string(level).c_str());
      return 2;
    }
    levels.push_back(clients);
  }
  const int village_count = absl::GetFlag(FLAGS_villages);
  const int64_t stream_entries = absl::GetFlag(FLAGS_stream_entries);
  if (village_count < 1 || absl::GetFlag(FLAGS_households_per_village) < 1 ||
      stream_entries < village_count) {
    std::fprintf(stderr,
                 "--villages, --households_per_village and --stream_entries must be "
                 "positive, and --stream_entries at least --villages\n");
    return 2;
  }

  std::vector<std::string> args(argv, argv + argc);
  std::string command = absl::GetFlag(FLAGS_command);
  if (command.empty()) command = absl::StrJoin(args, " ");
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("# jifen-bench-scoring\n\n");
  std::printf("command: %s\n", command.c_str());
  std::printf("date:    %s\n",
              absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::Now(), absl::UTCTimeZone()).c_str());
  std::printf("machine: %ld cores (nproc), %s, %s RAM; load average at start %.2f %.2f %.2f\n",
              sysconf(_SC_NPROCESSORS_ONLN), CpuModel().c_str(), MemTotal().c_str(), load[0],
              load[1], load[2]);
  std::fflush(stdout);

  ScoringHarness harness("scoring_bench");
  const std::vector<std::string> scoring_flags = absl::GetFlag(FLAGS_scoring_flags);
  if (!harness.Prepare() || !harness.Launch(scoring_flags) ||
      HarnessFailed("starting jifen-scoring")) {
    return 1;
  }
  const pid_t mariadb_pid = MariaDbPid();
  {
    std::string version;
    (void)mysql::RunWithConnection(harness.admin_pool(), [&](sql::Connection& c) {
      auto rows = mysql::Statement(c,
                                   "SELECT CONCAT(VERSION(), ', innodb_flush_log_at_trx_commit=', "
                                   "@@innodb_flush_log_at_trx_commit, ', buffer pool ', "
                                   "@@innodb_buffer_pool_size DIV 1048576, ' MiB, redo log ', "
                                   "@@innodb_log_file_size DIV 1048576, ' MiB')")
                      .Query();
      if (rows->next()) version = rows->getString(1).asStdString();
      return absl::OkStatus();
    });
    std::printf("server:  MariaDB %s; jifen-scoring with %s (MariaDB pool of 16 connections)\n\n",
                version.c_str(),
                scoring_flags.empty()
                    ? "its default flags"
                    : absl::StrCat("flags ", absl::StrJoin(scoring_flags, " ")).c_str());
    std::fflush(stdout);
  }

  // Setup: villages with the benchmark rulebook, and the raw insert's table.
  const absl::Time setup_start = absl::Now();
  std::vector<BenchVillage> villages;
  for (int v = 0; v < village_count; ++v) {
    BenchVillage village;
    village.seeded = harness.SeedVillage(absl::GetFlag(FLAGS_households_per_village));
    if (HarnessFailed("seeding a village")) return 1;
    if (const absl::Status published = PublishBenchRulebook(harness, village.seeded.village_id);
        !published.ok()) {
      std::fprintf(stderr, "publishing the benchmark rulebook: %s\n", published.ToString().c_str());
      return 1;
    }
    village.grid_worker_token = harness.GridWorkerToken(village.seeded);
    villages.push_back(std::move(village));
  }
  if (const absl::Status created =
          mysql::RunWithConnection(harness.admin_pool(),
                                   [](sql::Connection& c) {
                                     mysql::Statement(c, kRawTableDdl).Update();
                                     return absl::OkStatus();
                                   });
      !created.ok()) {
    std::fprintf(stderr, "creating the raw table: %s\n", created.ToString().c_str());
    return 1;
  }
  Progress(absl::StrCat("seeded ", village_count, " villages x ",
                        absl::GetFlag(FLAGS_households_per_village), " households in ",
                        absl::FormatDuration(absl::Now() - setup_start)));

  // Part 1.
  const testing::MySqlServer& server = testing::TestMySql();
  std::vector<LoadResult> results;
  ProcessWatch watch(harness.process().pid(), mariadb_pid);
  const std::string address = harness.address();
  const bool digests = PerformanceSchemaOn(harness.admin_pool());
  std::vector<std::string> digest_reports;
  std::vector<LoadResult> comparisons;
  for (int clients : levels) {
    Progress(absl::StrCat("SubmitInspection, ", clients, " clients"));
    WindowHooks hooks;
    if (digests) hooks.before = [&harness] { ResetDigests(harness.admin_pool()); };
    results.push_back(RunClosedLoop("SubmitInspection (gRPC, jifen-scoring)", clients,
                                    SubmitInspections(address, villages, clients), watch,
                                    harness.admin_pool(), hooks));
    if (digests) {
      digest_reports.push_back(
          DigestReport(harness.admin_pool(), harness.database(), results.back()));
    }
    if (clients == levels.front()) {
      Progress(absl::StrCat("GetWallet (chassis baseline), ", clients, " clients"));
      comparisons.push_back(RunClosedLoop("GetWallet (gRPC, jifen-scoring; for comparison)",
                                          clients, GetWallets(address, villages, clients), watch,
                                          harness.admin_pool()));
    }
    Progress(absl::StrCat("raw insert, ", clients, " clients"));
    mysql::MySqlConfig raw_config;
    raw_config.host = server.host;
    raw_config.port = server.port;
    raw_config.user = server.user;
    raw_config.password = server.password;
    raw_config.database = harness.database();
    raw_config.pool_size = clients;
    mysql::ConnectionPool raw_pool(raw_config);
    results.push_back(RunClosedLoop("raw START TRANSACTION; INSERT; COMMIT", clients,
                                    RawInserts(raw_pool, clients), watch, harness.admin_pool()));
  }
  const int64_t submit_hwm_kib = VmKib(harness.process().pid(), "VmHWM");
  const std::string deadlock = LatestDeadlock(harness.admin_pool());

  // Part 2: stop the service, grow the ledger to --stream_entries, start it again, replay.
  Progress("stopping jifen-scoring for the bulk insert");
  harness.process().Terminate();
  mysql::MySqlConfig bulk_config;
  bulk_config.host = server.host;
  bulk_config.port = server.port;
  bulk_config.user = server.user;
  bulk_config.password = server.password;
  bulk_config.database = harness.database();
  bulk_config.pool_size = 1;
  bulk_config.io_timeout = absl::Minutes(10);
  mysql::ConnectionPool bulk_pool(bulk_config);
  const absl::Time bulk_start = absl::Now();
  for (int v = 0; v < village_count; ++v) {
    const int64_t share = stream_entries / village_count + (v < stream_entries % village_count);
    if (const absl::Status appended = AppendBulkEntries(bulk_pool, villages[v], share);
        !appended.ok()) {
      std::fprintf(stderr, "bulk insert: %s\n", appended.ToString().c_str());
      return 1;
    }
  }
  const absl::Duration bulk_time = absl::Now() - bulk_start;
  int64_t ledger_rows = 0;
  (void)mysql::RunWithConnection(bulk_pool, [&](sql::Connection& c) {
    auto rows = mysql::Statement(c, "SELECT COUNT(*) FROM ledger_entries").Query();
    if (rows->next()) ledger_rows = rows->getInt64(1);
    return absl::OkStatus();
  });
  Progress(absl::StrCat("bulk-inserted ", stream_entries, " entries in ",
                        absl::FormatDuration(bulk_time), "; the ledger holds ", ledger_rows));

  if (!harness.process().Start() || HarnessFailed("restarting jifen-scoring")) return 1;
  const pid_t replay_pid = harness.process().pid();
  ProcessWatch replay_watch(replay_pid, mariadb_pid);
  const Usage replay_before = replay_watch.Now();
  Progress("replaying the stream");
  const ReplayResult replay =
      ReplayStream(harness.process().address(), harness.ServiceToken("bench"));
  const Usage replay_after = replay_watch.Now();
  const int64_t replay_hwm_kib = VmKib(replay_pid, "VmHWM");
  if (!replay.error.empty()) std::fprintf(stderr, "StreamEntries: %s\n", replay.error.c_str());

  // Not measured: proof that the replayed ledger is a valid one.
  int intact_villages = 0;
  absl::Duration verify_time;
  if (absl::GetFlag(FLAGS_verify_chains)) {
    Progress("verifying every village's chain");
    const absl::Time verify_start = absl::Now();
    auto ledger =
        v1::LedgerService::NewStub(grpc_util::NewChannel(harness.process().address(), 16 << 20));
    for (const BenchVillage& village : villages) {
      v1::VerifyChainRequest request;
      request.set_village_id(village.seeded.village_id);
      v1::VerifyChainResponse response;
      const grpc::Status status = ledger->VerifyChain(
          grpc_util::NewClientContext(absl::Minutes(5), harness.DistrictToken()).get(), request,
          &response);
      if (status.ok() && response.intact()) {
        ++intact_villages;
      } else {
        std::fprintf(stderr, "village %ld: %s, first bad sequence %ld\n",
                     static_cast<long>(village.seeded.village_id),
                     status.ok() ? "chain broken" : status.error_message().c_str(),
                     static_cast<long>(response.first_bad_sequence()));
      }
    }
    verify_time = absl::Now() - verify_start;
  }
  const int64_t final_hwm_kib = VmKib(replay_pid, "VmHWM");
  Progress("reading the ledger without gRPC (by column name, then by index)");
  const FetchResult fetch_by_name = FetchLedger(bulk_pool, true);
  const FetchResult fetch_by_index = FetchLedger(bulk_pool, false);

  // The report.
  std::printf("\n## Results\n\n");
  std::printf(
      "| measurement | clients | ops | seconds | ops/s | p50 ms | p99 ms | errors | "
      "vs raw | target |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  bool all_met = true;
  for (size_t i = 0; i + 1 < results.size(); i += 2) {
    const LoadResult& submit = results[i];
    const LoadResult& raw = results[i + 1];
    const double ratio =
        raw.ops_per_second() > 0 ? submit.ops_per_second() / raw.ops_per_second() : 0;
    const bool met = ratio >= 0.5 && submit.errors == 0;
    all_met = all_met && met;
    for (const LoadResult* r : {&submit, &raw}) {
      std::printf("| %s | %d | %ld | %s | %s | %s | %s | %ld | %s | %s |\n", r->name.c_str(),
                  r->clients, static_cast<long>(r->ops), Figure(r->seconds, 1).c_str(),
                  Figure(r->ops_per_second()).c_str(), Figure(r->p50_ms, 2).c_str(),
                  Figure(r->p99_ms, 2).c_str(), static_cast<long>(r->errors),
                  r == &submit ? (Figure(ratio, 2) + "x").c_str() : "1.00x",
                  r == &submit ? ("≥ 0.5x: " + Verdict(met)).c_str() : "");
    }
  }
  const bool replay_met = replay.error.empty() && replay.ordered && replay.entries == ledger_rows &&
                          replay.entries_per_second() >= 100000;
  all_met = all_met && replay_met;
  std::printf(
      "| StreamEntries replay (after_sequence=0, follow=false) | 1 | %ld | %s | %s "
      "entries/s | | | %s | | ≥ 100,000/s: %s |\n",
      static_cast<long>(replay.entries), Figure(replay.seconds, 2).c_str(),
      Figure(replay.entries_per_second()).c_str(), replay.error.empty() ? "0" : "1",
      Verdict(replay_met).c_str());
  const auto mib = [](int64_t kib) { return static_cast<double>(kib) / 1024.0; };
  const bool rss_met = submit_hwm_kib > 0 && replay_hwm_kib > 0 && mib(submit_hwm_kib) < 150 &&
                       mib(final_hwm_kib) < 150;
  all_met = all_met && rss_met;
  std::printf(
      "| jifen-scoring peak RSS (VmHWM) after the SubmitInspection runs | | | | %s MiB "
      "| | | | | < 150 MiB: %s |\n",
      Figure(mib(submit_hwm_kib), 1).c_str(),
      Verdict(submit_hwm_kib > 0 && mib(submit_hwm_kib) < 150).c_str());
  std::printf(
      "| jifen-scoring peak RSS (VmHWM) after the replay (restarted process) | | | | %s "
      "MiB | | | | | < 150 MiB: %s |\n",
      Figure(mib(replay_hwm_kib), 1).c_str(),
      Verdict(replay_hwm_kib > 0 && mib(replay_hwm_kib) < 150).c_str());

  std::printf("\nNotes:\n");
  std::printf(
      "- SubmitInspection: %d villages x %d households, each inspection one outcome of the "
      "uncapped item %s (+%ld) on a random household; every client its own thread, "
      "channel (own TCP connection) and inspection ids; closed loop, %d s warm-up, %d s "
      "measured per level.\n",
      village_count, absl::GetFlag(FLAGS_households_per_village), kItemCode,
      static_cast<long>(kItemPoints), absl::GetFlag(FLAGS_warmup_seconds),
      absl::GetFlag(FLAGS_seconds));
  std::printf(
      "- By design a village's ledger writes serialise on its hash-chain head "
      "(ledger_heads row lock, held until commit): at most %d inspections commit "
      "concurrently however many clients there are.\n",
      village_count);
  std::printf(
      "- Raw insert: one row into bench_raw_inserts (auto-increment key, 5 columns), the "
      "INSERT prepared once per client, START TRANSACTION and COMMIT as plain statements; "
      "same server, same Connector/C++ 1.1, admin account.\n");
  std::printf(
      "- Replay: %ld entries bulk-inserted (%ld in the ledger in all, with the ones written "
      "above) with the process stopped, in %s (INSERT ... SELECT from seq_1_to_N, one per "
      "village); hashes are real: MariaDB computes the chain (SHA2) the way "
      "ledger_hash.cc does%s. The process was then started again; the time runs from the "
      "call to the end of the stream, through one channel, counting every entry; "
      "sequences %s. CPU over the replay: client %.1f s, jifen-scoring %.1f s, mariadbd "
      "%.1f s.\n",
      static_cast<long>(stream_entries), static_cast<long>(ledger_rows),
      absl::FormatDuration(bulk_time).c_str(),
      absl::GetFlag(FLAGS_verify_chains)
          ? absl::StrCat(", and VerifyChain found ", intact_villages, " of ", village_count,
                         " villages intact (", absl::FormatDuration(verify_time), ")")
                .c_str()
          : "",
      replay.ordered ? "strictly increasing" : "OUT OF ORDER",
      replay_after.client_cpu_s - replay_before.client_cpu_s,
      replay_after.scoring_cpu_s - replay_before.scoring_cpu_s,
      replay_after.mariadb_cpu_s - replay_before.mariadb_cpu_s);
  std::printf("- Peak RSS after the chain verification too: %s MiB.\n",
              Figure(mib(final_hwm_kib), 1).c_str());
  for (const LoadResult& r : results) {
    if (!r.first_error.empty()) {
      std::printf("- %s at %d clients, first error: %s\n", r.name.c_str(), r.clients,
                  r.first_error.c_str());
    }
  }
  std::vector<LoadResult> breakdown = results;
  breakdown.insert(breakdown.end(), comparisons.begin(), comparisons.end());
  PrintBreakdown(breakdown);
  for (const LoadResult& r : comparisons) {
    std::printf("\n%s: %s ops/s, p50 %s ms, p99 %s ms, %ld errors.\n", r.name.c_str(),
                Figure(r.ops_per_second()).c_str(), Figure(r.p50_ms, 2).c_str(),
                Figure(r.p99_ms, 2).c_str(), static_cast<long>(r.errors));
  }
  std::printf("\n%s.\n", TokenCost(harness, villages.front().grid_worker_token, 2000).c_str());
  for (const auto& [how, fetch] :
       {std::make_pair("by column name (as MySqlLedger::ReadEntry)", &fetch_by_name),
        std::make_pair("by column index", &fetch_by_index)}) {
    std::printf(
        "\nThe replay's database half without gRPC, %s: %ld rows in %s s = %s rows/s, "
        "%s us of connector CPU per row.\n",
        how, static_cast<long>(fetch->rows), Figure(fetch->seconds, 2).c_str(),
        Figure(fetch->seconds > 0 ? static_cast<double>(fetch->rows) / fetch->seconds : 0).c_str(),
        Figure(fetch->rows > 0 ? 1e6 * fetch->client_cpu_s / static_cast<double>(fetch->rows) : 0,
               2)
            .c_str());
  }
  if (!deadlock.empty()) {
    std::printf(
        "\nInnoDB's latest deadlock among the SubmitInspection transactions "
        "(SHOW ENGINE INNODB STATUS):\n\n%s",
        deadlock.c_str());
  }
  for (const std::string& report : digest_reports) std::printf("%s", report.c_str());
  std::printf("\nAll targets %s.\n", all_met ? "met" : "NOT met");
  return 0;
}

}  // namespace
}  // namespace jifen::bench

int main(int argc, char** argv) { return jifen::bench::Run(argc, argv); }
