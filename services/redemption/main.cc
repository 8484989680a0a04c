// jifen-redemption: the village points store. Flags -> config -> objects -> serve; no rules here.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/audit/audit_outbox.h"
#include "common/auth/token.h"
#include "common/config/config.h"
#include "common/config/service_flags.h"
#include "common/grpc/call.h"
#include "common/grpc/client.h"
#include "common/grpc/server_runner.h"
#include "common/grpc/service_setup.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/mysql/connection_pool.h"
#include "common/outbox/outbox.h"
#include "services/audit/client/audit_sink.h"
#include "services/redemption/domain/ledger_export.h"
#include "services/redemption/domain/redemption_service.h"
#include "services/redemption/handler/redemption_service_impl.h"
#include "services/redemption/handler/scoring_household_directory.h"
#include "services/redemption/handler/scoring_wallet_client.h"
#include "services/redemption/storage/mysql_store_repository.h"

ABSL_FLAG(std::string, scoring_address, "",
          "host:port of the scoring service (wallet debits; the registry's households for the "
          "ledger export)");
ABSL_FLAG(absl::Duration, scoring_timeout, absl::Seconds(5),
          "deadline of one call to scoring; past it an order stays reserved until recovery "
          "decides, and a ledger export fails (REGISTRY_UNAVAILABLE)");
ABSL_FLAG(std::string, audit_address, "",
          "host:port of the audit service; the outbox relay delivers audit records there. Empty: "
          "records wait in the outbox (nothing is lost)");
ABSL_FLAG(absl::Duration, recovery_interval, absl::Seconds(10),
          "how often orders left reserved or cancelling are completed or undone");
ABSL_FLAG(absl::Duration, recovery_min_age, absl::Seconds(30),
          "the periodic sweep leaves orders younger than this to the call that made them");

namespace jifen::redemption {
namespace {

class SystemClock final : public Clock {
 public:
  int64_t NowMs() override { return absl::ToUnixMillis(absl::Now()); }
};

void LogRecovery(const absl::StatusOr<RecoveryStats>& stats, const char* when) {
  if (!stats.ok()) {
    log::Warning("order recovery failed", {{"when", when}, {"error", stats.status().ToString()}});
    return;
  }
  if (stats->confirmed + stats->failed + stats->cancelled + stats->pending == 0) return;
  log::Info("order recovery", {{"when", when},
                               {"confirmed", absl::StrCat(stats->confirmed)},
                               {"failed", absl::StrCat(stats->failed)},
                               {"cancelled", absl::StrCat(stats->cancelled)},
                               {"pending", absl::StrCat(stats->pending)}});
}

int Run(int argc, char** argv) {
  grpc_util::BlockTerminationSignals();
  config::ParseFlagsAndEnvironment(argc, argv, "jifen-redemption: the village points store");
  const config::ServiceFlags flags = config::ReadServiceFlags();
  const std::string scoring_address = absl::GetFlag(FLAGS_scoring_address);
  config::Validator validator;
  config::ValidateServiceFlags(flags, /*needs_redis=*/false, validator);
  validator.RequireHostPort("scoring_address", scoring_address);
  validator.RequireReadableFile("token_public_key", flags.token_public_key);
  validator.RequireReadableFile("service_token_file", flags.service_token_file);
  validator.ExitIfInvalid();

  log::SetServiceName("redemption");
  if (absl::Status s = log::SetMinLevel(flags.log_level); !s.ok()) {
    std::fprintf(stderr, "invalid configuration: log_level: %s\n", s.ToString().c_str());
    return 2;
  }

  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!flags.metrics_listen.empty()) {
    auto started = metrics::MetricsServer::Start(flags.metrics_listen);
    if (!started.ok()) {
      log::Error("metrics server failed", {{"error", started.status().ToString()}});
      return 1;
    }
    metrics_server = std::move(*started);
  }

  auto verifier = auth::TokenVerifier::FromPublicKeyFile(flags.token_public_key, {});
  if (!verifier.ok()) {
    log::Error("token public key unusable", {{"error", verifier.status().ToString()}});
    return 2;
  }
  grpc_util::CallHandler calls("redemption", verifier->get());

  mysql::ConnectionPool pool(grpc_util::MySqlConfigFrom(flags));

  const std::shared_ptr<grpc::Channel> scoring_channel =
      grpc_util::NewChannel(scoring_address, flags.max_message_bytes);
  const absl::Duration scoring_timeout = absl::GetFlag(FLAGS_scoring_timeout);
  ScoringWalletClient wallet(scoring::v1::LedgerService::NewStub(scoring_channel),
                             flags.service_token_file, scoring_timeout);
  if (absl::Status s = wallet.LoadToken(); !s.ok()) {
    log::Error("service token unusable", {{"error", s.ToString()}});
    return 2;
  }
  MySqlStoreRepository repository(&pool);
  SystemClock clock;
  RedemptionService service(&repository, &wallet, &clock, RandomPickupCode);
  ScoringHouseholdDirectory households(scoring::v1::RegistryService::NewStub(scoring_channel),
                                       scoring_timeout);
  LedgerExporter exporter(&repository, &households, &clock);
  RedemptionServiceImpl handler(&service, &exporter, &calls);

  // Orders a crash left half-way are settled before serving: a reserved order is completed if the
  // wallet was debited (asking again with the same order id is idempotent) and undone otherwise.
  LogRecovery(service.RecoverUnfinished(/*min_age_ms=*/0, /*batch=*/1000), "start");

  grpc_util::ServerOptions options = grpc_util::ServerOptionsFrom("redemption", flags);
  grpc_util::ServerRunner runner(options);
  runner.AddService(&handler, "jifen.redemption.v1.RedemptionService");
  runner.SetReadinessCheck([&pool] { return pool.Ping(); });
  if (absl::Status s = runner.Start(); !s.ok()) {
    log::Error("cannot serve", {{"error", s.ToString()}});
    return 1;
  }
  if (absl::Status s = grpc_util::WritePortFile(flags.port_file, runner.port()); !s.ok()) {
    log::Error("cannot write port file", {{"error", s.ToString()}});
    return 1;
  }
  log::Info("serving", {{"port", absl::StrCat(runner.port())}, {"scoring", scoring_address}});

  absl::Notification stop_sweeper;
  std::thread sweeper([&] {
    const absl::Duration interval = absl::GetFlag(FLAGS_recovery_interval);
    const int64_t min_age_ms = absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_recovery_min_age));
    while (!stop_sweeper.WaitForNotificationWithTimeout(interval)) {
      LogRecovery(service.RecoverUnfinished(min_age_ms, 500), "sweep");
    }
  });

  // The audit records written by every change go out through the transactional outbox.
  std::unique_ptr<audit::AuditSink> audit_sink;
  std::unique_ptr<outbox::Relay> relay;
  if (const std::string audit_address = absl::GetFlag(FLAGS_audit_address);
      !audit_address.empty()) {
    std::ifstream token_file(flags.service_token_file);
    std::string token((std::istreambuf_iterator<char>(token_file)),
                      std::istreambuf_iterator<char>());
    audit::AuditSinkOptions sink_options;
    sink_options.target = audit_address;
    sink_options.token = std::string(absl::StripAsciiWhitespace(token));
    sink_options.max_message_bytes = flags.max_message_bytes;
    audit_sink = audit::AuditSink::Create(sink_options);
    outbox::RelayOptions relay_options;
    relay_options.topic = audit::kAuditTopic;
    relay = std::make_unique<outbox::Relay>(pool, audit_sink->AsReceiver(), relay_options);
    relay->Start();
  } else {
    log::Warning("no --audit_address: audit records stay in the outbox until a relay runs");
  }

  const int signal_number = grpc_util::WaitForTerminationSignal();
  log::Info("stopping", {{"signal", absl::StrCat(signal_number)}});
  stop_sweeper.Notify();
  sweeper.join();
  runner.Shutdown();
  runner.Wait();
  if (relay != nullptr) relay->Stop();
  return 0;
}

}  // namespace
}  // namespace jifen::redemption

int main(int argc, char** argv) { return jifen::redemption::Run(argc, argv); }
