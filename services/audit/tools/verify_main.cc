// jifen-audit-verify: checks the audit trail straight from MariaDB, without the service.
//
//   jifen-audit-verify --mysql_host=127.0.0.1 --mysql_port=3306 --mysql_user=...
//                      --mysql_database=audit [--audit_public_key=audit.pub.pem]
//                      [--from_sequence=N]
//
// Recomputes every record's hash in chain order and reports the first broken position (altered
// record, deleted record, moved or swapped rows); checks each stored checkpoint against the chain
// and, with the public key, its signature. A checkpoint downloaded earlier (GetCheckpoint) can be
// checked against today's database with --checkpoint_date/_count/_head/_signature.
// Exit status: 0 intact, 1 broken, 2 could not check.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "common/config/service_flags.h"
#include "common/mysql/connection_pool.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/trail.h"
#include "services/audit/storage/mysql_trail_repository.h"

ABSL_FLAG(std::string, audit_public_key, "",
          "PEM public key of the audit signing key; checkpoint signatures are checked with it");
ABSL_FLAG(int64_t, from_sequence, 0, "verify from this sequence on (0: the whole chain)");
ABSL_FLAG(std::string, checkpoint_date, "", "a downloaded checkpoint to check: its date");
ABSL_FLAG(int64_t, checkpoint_count, -1, "... its record_count");
ABSL_FLAG(std::string, checkpoint_head, "", "... its head_hash");
ABSL_FLAG(std::string, checkpoint_signature, "", "... its signature_base64");

namespace {

using jifen::audit::VerifyResult;

const char* BreakageName(jifen::audit::Breakage breakage) {
  switch (breakage) {
    case jifen::audit::Breakage::kNone:
      return "none";
    case jifen::audit::Breakage::kHashMismatch:
      return "hash_mismatch";
    case jifen::audit::Breakage::kSequenceGap:
      return "sequence_gap";
    case jifen::audit::Breakage::kCheckpointMismatch:
      return "checkpoint_mismatch";
    case jifen::audit::Breakage::kBadSignature:
      return "bad_signature";
  }
  return "unknown";
}

int Run() {
  const jifen::config::ServiceFlags flags = jifen::config::ReadServiceFlags();
  std::unique_ptr<jifen::audit::EcdsaVerifier> signatures;
  if (const std::string key = absl::GetFlag(FLAGS_audit_public_key); !key.empty()) {
    auto loaded = jifen::audit::EcdsaVerifier::FromPublicKeyFile(key);
    if (!loaded.ok()) {
      std::fprintf(stderr, "audit_public_key: %s\n", loaded.status().ToString().c_str());
      return 2;
    }
    signatures = std::move(*loaded);
  }
  if (flags.mysql_database.empty()) {
    std::fprintf(stderr, "--mysql_database is required\n");
    return 2;
  }
  jifen::mysql::MySqlConfig config;
  config.host = flags.mysql_host;
  config.port = flags.mysql_port;
  config.user = flags.mysql_user;
  config.password = flags.mysql_password;
  config.database = flags.mysql_database;
  config.pool_size = 1;
  config.io_timeout = absl::Minutes(10);
  jifen::mysql::ConnectionPool pool(config);
  jifen::audit::MySqlTrailRepository repository(pool, 20000);
  jifen::audit::OpenSslHasher hasher;

  int exit_code = 0;
  if (const std::string date = absl::GetFlag(FLAGS_checkpoint_date); !date.empty()) {
    jifen::audit::Checkpoint checkpoint;
    checkpoint.date = date;
    checkpoint.record_count = absl::GetFlag(FLAGS_checkpoint_count);
    checkpoint.head_hash = absl::GetFlag(FLAGS_checkpoint_head);
    if (!signatures ||
        !absl::Base64Unescape(absl::GetFlag(FLAGS_checkpoint_signature), &checkpoint.signature) ||
        !signatures->Verify(jifen::audit::CheckpointText(checkpoint), checkpoint.signature)) {
      std::printf("checkpoint %s: signature does NOT verify (or no --audit_public_key)\n",
                  date.c_str());
      return 1;
    }
    auto record = repository.Get(checkpoint.record_count);
    if (!record.ok()) {
      std::fprintf(stderr, "reading the trail: %s\n", record.status().ToString().c_str());
      return 2;
    }
    const bool matches = checkpoint.record_count == 0
                             ? checkpoint.head_hash == jifen::audit::kZeroHashHex
                             : record->has_value() && (*record)->hash == checkpoint.head_hash;
    std::printf("checkpoint %s: signature verifies; the trail %s it (record %lld)\n", date.c_str(),
                matches ? "matches" : "does NOT match",
                static_cast<long long>(checkpoint.record_count));
    if (!matches) exit_code = 1;
  }

  const absl::Time start = absl::Now();
  const int64_t from = absl::GetFlag(FLAGS_from_sequence);
  absl::StatusOr<VerifyResult> result =
      jifen::audit::VerifyTrail(repository, hasher, signatures.get(), from <= 1 ? 0 : from - 1);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!result.ok()) {
    std::fprintf(stderr, "cannot verify: %s\n", result.status().ToString().c_str());
    return 2;
  }
  if (result->intact) {
    std::printf(
        "intact: %lld records checked, head sequence %lld hash %s, %lld checkpoints%s, "
        "%.2f s\n",
        static_cast<long long>(result->records_checked),
        static_cast<long long>(result->head_sequence), result->head_hash.c_str(),
        static_cast<long long>(result->checkpoints_checked),
        signatures ? " (signatures verified)" : " (signatures not checked)", seconds);
    return exit_code;
  }
  std::printf(
      "BROKEN: %s at position %lld (found sequence %lld): %s; %lld records verified "
      "before it\n",
      BreakageName(result->breakage), static_cast<long long>(result->first_bad_position),
      static_cast<long long>(result->found_sequence), result->detail.c_str(),
      static_cast<long long>(result->records_checked));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return Run();
}
