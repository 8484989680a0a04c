// Benchmark: verify a hash chain of --records audit records (default 1,000,000) on one core.
//
// 1. In memory: builds the chain (records shaped like real ones: digests as "sha256:<hex>"), then
//    times ChainVerifier over it on the calling thread only.
// 2. With --mysql_database (a schema migrated with services/audit/migrations and an empty trail):
//    writes the same chain into audit_record, then times VerifyTrail reading it back through
//    MySqlTrailRepository, as jifen-audit-verify does. Verification itself stays on one thread;
//    the MariaDB server runs beside it.
//
//   jifen-bench-audit --records=1000000
//   jifen-bench-audit --records=1000000 --mysql_port=... --mysql_user=root --mysql_database=bench
#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/transaction.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/chain.h"
#include "services/audit/domain/trail.h"
#include "services/audit/storage/mysql_trail_repository.h"

ABSL_FLAG(int, records, 1000000, "chain length");
ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MariaDB host (database mode)");
ABSL_FLAG(int, mysql_port, 3306, "MariaDB port");
ABSL_FLAG(std::string, mysql_user, "root", "an account that may INSERT into the trail");
ABSL_FLAG(std::string, mysql_password, "", "its password");
ABSL_FLAG(std::string, mysql_database, "", "migrated audit schema; empty: in-memory only");

namespace {

using jifen::audit::TrailRecord;

std::vector<TrailRecord> BuildChain(int n, const jifen::audit::Hasher& hasher) {
  std::vector<TrailRecord> chain;
  chain.reserve(n);
  jifen::audit::RawHash previous{};
  for (int i = 1; i <= n; ++i) {
    TrailRecord r;
    r.sequence = i;
    r.source_service = i % 3 == 0 ? "redemption" : "scoring";
    r.outbox_id = i;
    r.village_id = 1 + i % 150;
    r.actor_user_id = absl::StrCat("user-", i % 5000);
    r.actor_role = "grid_worker";
    r.action = "create";
    r.object_type = "ledger_entry";
    r.object_id = absl::StrCat(i);
    r.before = "";
    r.after = absl::StrCat("sha256:", jifen::audit::Sha256Hex(absl::StrCat(i)));
    r.occurred_at_ms = 1'700'000'000'000 + i;
    r.request_id = absl::StrCat("req-", i);
    r.received_at_ms = 1'700'000'000'500 + i;
    previous = jifen::audit::ChainHash(hasher, previous, r);
    r.hash = jifen::audit::ToHex(previous);
    chain.push_back(std::move(r));
  }
  return chain;
}

absl::Status Fill(jifen::mysql::ConnectionPool& pool, const std::vector<TrailRecord>& chain) {
  constexpr size_t kRowsPerStatement = 1000;
  std::vector<std::string> rows(kRowsPerStatement, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const std::string insert_text = absl::StrCat(
      "INSERT INTO audit_record (sequence, source_service, outbox_id, village_id, actor_user_id, "
      "actor_role, action, object_type, object_id, before_state, after_state, occurred_at_ms, "
      "request_id, received_at_ms, hash) VALUES ",
      absl::StrJoin(rows, ","));
  for (size_t start = 0; start < chain.size(); start += kRowsPerStatement) {
    if (chain.size() - start < kRowsPerStatement) {
      rows.resize(chain.size() - start);
    }
    absl::Status status = jifen::mysql::RunInTransaction(pool, [&](sql::Connection& c) {
      std::unique_ptr<sql::PreparedStatement> insert(c.prepareStatement(
          rows.size() == kRowsPerStatement
              ? insert_text
              : insert_text.substr(0, insert_text.find("VALUES ") + 7) + absl::StrJoin(rows, ",")));
      int i = 1;
      for (size_t k = start; k < start + rows.size(); ++k) {
        const TrailRecord& r = chain[k];
        insert->setInt64(i++, r.sequence);
        insert->setString(i++, r.source_service);
        insert->setInt64(i++, r.outbox_id);
        insert->setInt64(i++, r.village_id);
        insert->setString(i++, r.actor_user_id);
        insert->setString(i++, r.actor_role);
        insert->setString(i++, r.action);
        insert->setString(i++, r.object_type);
        insert->setString(i++, r.object_id);
        insert->setString(i++, r.before);
        insert->setString(i++, r.after);
        insert->setInt64(i++, r.occurred_at_ms);
        insert->setString(i++, r.request_id);
        insert->setInt64(i++, r.received_at_ms);
        insert->setString(i++, r.hash);
      }
      insert->executeUpdate();
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As the services do (common/config/config.cc): no absl::Mutex deadlock graph in a benchmark.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const int n = absl::GetFlag(FLAGS_records);
  jifen::audit::OpenSslHasher hasher;

  const absl::Time build_start = absl::Now();
  const std::vector<TrailRecord> chain = BuildChain(n, hasher);
  const absl::Duration build = absl::Now() - build_start;

  const absl::Time start = absl::Now();
  jifen::audit::ChainVerifier verifier(hasher);
  for (const TrailRecord& r : chain) verifier.Feed(r);
  const absl::Duration took = absl::Now() - start;
  const jifen::audit::VerifyResult& result = verifier.result();
  std::printf(
      "memory: records=%d intact=%s build=%.2fs verify=%.3fs (%.0f records/s, one thread)\n", n,
      result.intact ? "yes" : "no", absl::ToDoubleSeconds(build), absl::ToDoubleSeconds(took),
      n / absl::ToDoubleSeconds(took));
  if (!result.intact) return 1;

  const std::string database = absl::GetFlag(FLAGS_mysql_database);
  if (database.empty()) return 0;
  jifen::mysql::MySqlConfig config;
  config.host = absl::GetFlag(FLAGS_mysql_host);
  config.port = absl::GetFlag(FLAGS_mysql_port);
  config.user = absl::GetFlag(FLAGS_mysql_user);
  config.password = absl::GetFlag(FLAGS_mysql_password);
  config.database = database;
  config.pool_size = 1;
  config.io_timeout = absl::Minutes(10);
  jifen::mysql::ConnectionPool pool(config);
  const absl::Time fill_start = absl::Now();
  if (absl::Status filled = Fill(pool, chain); !filled.ok()) {
    std::fprintf(stderr, "filling %s: %s\n", database.c_str(), filled.ToString().c_str());
    return 2;
  }
  const absl::Duration fill = absl::Now() - fill_start;

  jifen::audit::MySqlTrailRepository repository(pool, 20000);
  const absl::Time db_start = absl::Now();
  absl::StatusOr<jifen::audit::VerifyResult> db_result =
      jifen::audit::VerifyTrail(repository, hasher, nullptr);
  const absl::Duration db_took = absl::Now() - db_start;
  if (!db_result.ok()) {
    std::fprintf(stderr, "verifying: %s\n", db_result.status().ToString().c_str());
    return 2;
  }
  std::printf(
      "mariadb: records=%lld intact=%s fill=%.1fs verify=%.2fs (%.0f records/s, reading "
      "through MySqlTrailRepository)\n",
      static_cast<long long>(db_result->records_checked), db_result->intact ? "yes" : "no",
      absl::ToDoubleSeconds(fill), absl::ToDoubleSeconds(db_took),
      db_result->records_checked / absl::ToDoubleSeconds(db_took));
  return db_result->intact ? 0 : 1;
}
