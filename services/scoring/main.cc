// jifen-scoring: the registry, rulebooks, assessment and the points ledger.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/token.h"
#include "common/config/config.h"
#include "common/config/service_flags.h"
#include "common/grpc/call.h"
#include "common/grpc/server_runner.h"
#include "common/grpc/service_setup.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/mysql/connection_pool.h"
#include "services/audit/client/audit_relay.h"
#include "services/scoring/handler/assessment_service.h"
#include "services/scoring/handler/ledger_service.h"
#include "services/scoring/handler/registry_service.h"
#include "services/scoring/handler/rulebook_service.h"
#include "services/scoring/handler/village_statistics_service.h"
#include "services/scoring/storage/ledger_sequencer.h"
#include "services/scoring/storage/mysql_declarations.h"
#include "services/scoring/storage/mysql_evaluations.h"
#include "services/scoring/storage/mysql_inspections.h"
#include "services/scoring/storage/mysql_ledger.h"
#include "services/scoring/storage/mysql_registry_household_directory.h"
#include "services/scoring/storage/mysql_rulebooks.h"

ABSL_FLAG(std::string, phone_key_file, "",
          "file holding the 32-byte key (64 hex characters) that encrypts phone numbers at rest");

ABSL_FLAG(std::string, audit_address, "",
          "jifen-audit host:port that receives the audit records of every change; empty keeps "
          "them in the outbox until it is set (needs --service_token_file)");

ABSL_FLAG(int, inspection_writers, 2,
          "threads that write inspections submitted at the same time together, in one transaction "
          "per batch (group commit); 0 writes each alone on the calling thread");
ABSL_FLAG(int, inspection_batch_max, 64, "inspections written in one transaction at most");

namespace {

using namespace jifen;  // NOLINT: main wires everything together.

std::string ReadPhoneKey(const std::string& path, config::Validator& validator) {
  std::ifstream in(path);
  std::string hex((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
  const bool is_hex = std::all_of(hex.begin(), hex.end(), [](char c) {
    return absl::ascii_isxdigit(static_cast<unsigned char>(c));
  });
  std::string key;
  if (hex.size() == 64 && is_hex) key = absl::HexStringToBytes(hex);
  if (key.size() != 32) {
    validator.Add(absl::InvalidArgumentError(
        absl::StrCat("--phone_key_file (or JIFEN_PHONE_KEY_FILE) must hold 64 hex characters: ",
                     path)));
  }
  return key;
}

int Run(int argc, char** argv) {
  grpc_util::BlockTerminationSignals();
  config::ParseFlagsAndEnvironment(argc, argv, "jifen-scoring: registry, rulebooks, ledger");
  const config::ServiceFlags flags = config::ReadServiceFlags();
  config::Validator validator;
  config::ValidateServiceFlags(flags, /*needs_redis=*/false, validator);
  validator.RequireReadableFile("phone_key_file", absl::GetFlag(FLAGS_phone_key_file));
  const std::string audit_address = absl::GetFlag(FLAGS_audit_address);
  if (!audit_address.empty()) {
    validator.RequireHostPort("audit_address", audit_address);
    validator.RequireReadableFile("service_token_file", flags.service_token_file);
  }
  validator.RequireRange("inspection_writers", absl::GetFlag(FLAGS_inspection_writers), 0, 64);
  validator.RequireRange("inspection_batch_max", absl::GetFlag(FLAGS_inspection_batch_max), 1,
                         1000);
  validator.ExitIfInvalid();
  const std::string phone_key = ReadPhoneKey(absl::GetFlag(FLAGS_phone_key_file), validator);
  validator.ExitIfInvalid();

  log::SetServiceName("scoring");
  if (absl::Status level = log::SetMinLevel(flags.log_level); !level.ok()) {
    validator.Add(level);
    validator.ExitIfInvalid();
  }
  auto verifier = auth::TokenVerifier::FromPublicKeyFile(flags.token_public_key, {});
  if (!verifier.ok()) {
    validator.Add(verifier.status());
    validator.ExitIfInvalid();
  }

  mysql::ConnectionPool pool(grpc_util::MySqlConfigFrom(flags));

  absl::StatusOr<int64_t> max_sequence = scoring::MySqlLedger::MaxSequence(pool);
  if (!max_sequence.ok()) {
    log::Error("cannot read the ledger at start", {{"error", max_sequence.status().ToString()}});
    return 1;
  }
  scoring::LedgerSequencer sequencer(*max_sequence);
  scoring::MySqlLedger ledger(pool, sequencer);
  scoring::MySqlRulebooks rulebooks(pool);
  scoring::MySqlHouseholdDirectory households(pool);
  scoring::PublishedRulebookCache published_rulebooks;
  scoring::GroupCommitOptions group_commit;
  group_commit.writers = absl::GetFlag(FLAGS_inspection_writers);
  group_commit.max_batch = absl::GetFlag(FLAGS_inspection_batch_max);
  scoring::MySqlInspections inspections(pool, ledger, households, published_rulebooks,
                                        group_commit);
  scoring::MySqlDeclarations declarations(pool, ledger, households);
  scoring::MySqlEvaluations evaluations(pool, ledger, households);

  grpc_util::CallHandler calls("scoring", verifier->get());
  scoring::ScoringContext context{&calls, &pool, &households, phone_key};
  scoring::LedgerServiceImpl ledger_service(context, ledger);
  scoring::RulebookServiceImpl rulebook_service(context, rulebooks);
  scoring::AssessmentServiceImpl assessment_service(context, inspections, declarations,
                                                    evaluations);
  scoring::RegistryServiceImpl registry_service(context);
  scoring::MySqlVillageStatistics village_statistics(pool);
  scoring::VillageStatisticsServiceImpl statistics_service(context, ledger, rulebooks,
                                                           village_statistics);

  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!flags.metrics_listen.empty()) {
    auto started = metrics::MetricsServer::Start(flags.metrics_listen);
    if (!started.ok()) {
      log::Error("cannot serve metrics", {{"error", started.status().ToString()}});
      return 1;
    }
    metrics_server = *std::move(started);
  }

  std::unique_ptr<audit::AuditRelay> audit_relay;
  if (!audit_address.empty()) {
    auto started = audit::AuditRelay::Start(pool, audit_address, flags.service_token_file);
    if (!started.ok()) {
      log::Error("cannot start the audit relay", {{"error", started.status().ToString()}});
      return 2;
    }
    audit_relay = *std::move(started);
  }

  grpc_util::ServerOptions options = grpc_util::ServerOptionsFrom("scoring", flags);
  grpc_util::ServerRunner runner(options);
  runner.AddService(&ledger_service, "jifen.scoring.v1.LedgerService");
  runner.AddService(&rulebook_service, "jifen.scoring.v1.RulebookService");
  runner.AddService(&assessment_service, "jifen.scoring.v1.AssessmentService");
  runner.AddService(&registry_service, "jifen.scoring.v1.RegistryService");
  runner.AddService(&statistics_service, "jifen.scoring.v1.VillageStatisticsService");
  runner.SetReadinessCheck([&pool] { return pool.Ping(); });
  if (absl::Status started = runner.Start(); !started.ok()) {
    log::Error("cannot start", {{"error", started.ToString()}});
    return 1;
  }
  if (absl::Status written = grpc_util::WritePortFile(flags.port_file, runner.port());
      !written.ok()) {
    log::Error("cannot write port file", {{"error", written.ToString()}});
    return 1;
  }
  const int signal_number = grpc_util::WaitForTerminationSignal();
  log::Info("stopping", {{"signal", absl::StrCat(signal_number)}});
  runner.Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
