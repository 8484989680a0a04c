// jifen-audit: the audit and supervision service. Flags/env -> config -> wiring -> serve; no rules.
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/auth/token.h"
#include "common/config/config.h"
#include "common/config/service_flags.h"
#include "common/grpc/server_runner.h"
#include "common/grpc/service_setup.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/mysql/connection_pool.h"
#include "services/audit/client/grpc_village_facts.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/figures.h"
#include "services/audit/domain/trail.h"
#include "services/audit/handler/audit_service.h"
#include "services/audit/handler/supervision_service.h"
#include "services/audit/storage/mysql_figures_repository.h"
#include "services/audit/storage/mysql_supervision_repository.h"
#include "services/audit/storage/mysql_trail_repository.h"
#include "services/audit/storage/mysql_village_directory.h"

ABSL_FLAG(std::string, audit_signing_key, "",
          "PEM file with the P-256 private key that signs the daily checkpoints");
ABSL_FLAG(absl::Duration, checkpoint_poll, absl::Minutes(1),
          "how often the service checks that yesterday's checkpoint exists");
ABSL_FLAG(std::string, scoring_address, "",
          "host:port of jifen-scoring (village statistics for checklists and dashboards)");
ABSL_FLAG(std::string, publicity_address, "",
          "host:port of jifen-publicity (publicity windows, red and black lists)");
ABSL_FLAG(std::string, redemption_address, "",
          "host:port of jifen-redemption (budgets, funding, redemptions)");
ABSL_FLAG(absl::Duration, backend_timeout, absl::Seconds(5),
          "deadline of each call to scoring, publicity or redemption");
ABSL_FLAG(absl::Duration, dashboard_interval, absl::Minutes(15),
          "how often the dashboard figures of every village are refreshed; 0 disables");
ABSL_FLAG(absl::Duration, checks_interval, absl::Hours(1),
          "how often the automatic checks run over the trail in the background; 0 disables");

namespace jifen {
namespace {

int Run(int argc, char** argv) {
  grpc_util::BlockTerminationSignals();
  config::ParseFlagsAndEnvironment(
      argc, argv, "jifen-audit: audit trail, supervision visits, governance models, dashboards");
  const config::ServiceFlags flags = config::ReadServiceFlags();
  const std::string signing_key = absl::GetFlag(FLAGS_audit_signing_key);
  const absl::Duration checkpoint_poll = absl::GetFlag(FLAGS_checkpoint_poll);
  const absl::Duration checks_interval = absl::GetFlag(FLAGS_checks_interval);
  config::Validator validator;
  config::ValidateServiceFlags(flags, /*needs_redis=*/false, validator);
  validator.RequireReadableFile("audit_signing_key", signing_key);
  validator.RequireRange("checkpoint_poll (seconds)", absl::ToInt64Seconds(checkpoint_poll), 1,
                         3600);
  validator.RequireRange("checks_interval (seconds)", absl::ToInt64Seconds(checks_interval), 0,
                         7 * 24 * 3600);
  audit::VillageFactsOptions facts_options;
  facts_options.scoring_address = absl::GetFlag(FLAGS_scoring_address);
  facts_options.publicity_address = absl::GetFlag(FLAGS_publicity_address);
  facts_options.redemption_address = absl::GetFlag(FLAGS_redemption_address);
  facts_options.timeout = absl::GetFlag(FLAGS_backend_timeout);
  const absl::Duration dashboard_interval = absl::GetFlag(FLAGS_dashboard_interval);
  validator.RequireRange("backend_timeout (milliseconds)",
                         absl::ToInt64Milliseconds(facts_options.timeout), 1, 60000);
  validator.RequireRange("dashboard_interval (seconds)", absl::ToInt64Seconds(dashboard_interval),
                         0, 7 * 24 * 3600);
  const bool has_backends = !facts_options.scoring_address.empty() ||
                            !facts_options.publicity_address.empty() ||
                            !facts_options.redemption_address.empty();
  if (has_backends) {
    absl::StatusOr<std::string> token = audit::ReadServiceToken(flags.service_token_file);
    if (token.ok()) {
      facts_options.service_token = *token;
    } else {
      validator.Add(token.status());
    }
  }
  validator.ExitIfInvalid();
  log::SetServiceName("audit");
  (void)log::SetMinLevel(flags.log_level);

  absl::StatusOr<std::unique_ptr<auth::TokenVerifier>> tokens =
      auth::TokenVerifier::FromPublicKeyFile(flags.token_public_key, auth::TokenSettings());
  absl::StatusOr<std::unique_ptr<audit::EcdsaSigner>> signer =
      audit::EcdsaSigner::FromPrivateKeyFile(signing_key);
  if (!tokens.ok() || !signer.ok()) {
    log::Error("cannot load keys", {{"token_public_key", tokens.status().ToString()},
                                    {"audit_signing_key", signer.status().ToString()}});
    return 2;
  }
  absl::StatusOr<std::unique_ptr<audit::EcdsaVerifier>> signature_verifier =
      audit::EcdsaVerifier::FromPublicKeyPem((*signer)->PublicKeyPem());
  if (!signature_verifier.ok()) {
    log::Error("cannot derive the audit public key",
               {{"error", signature_verifier.status().ToString()}});
    return 2;
  }

  mysql::ConnectionPool pool(grpc_util::MySqlConfigFrom(flags));

  audit::OpenSslHasher hasher;
  audit::MySqlTrailRepository trail_repository(pool);
  audit::MySqlVillageDirectory directory(pool);
  audit::MySqlSupervisionRepository supervision_repository(pool, hasher);
  audit::AuditTrail trail(trail_repository, hasher, signer->get(), [] { return absl::Now(); });
  audit::Supervision supervision(supervision_repository, directory, trail_repository, hasher,
                                 [] { return absl::Now(); });
  audit::GrpcVillageFacts village_facts(facts_options);
  audit::MySqlFiguresRepository figures_repository(pool);
  audit::SupervisionFigures figures(supervision, supervision_repository, directory, village_facts,
                                    figures_repository, [] { return absl::Now(); });
  audit::AuditServiceImpl audit_service(tokens->get(), trail, trail_repository, directory, hasher,
                                        signer->get(), signature_verifier->get());
  audit::SupervisionServiceImpl supervision_service(tokens->get(), supervision, figures,
                                                    [] { return absl::Now(); });

  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!flags.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> started =
        metrics::MetricsServer::Start(flags.metrics_listen);
    if (!started.ok()) {
      log::Error("metrics server failed", {{"error", started.status().ToString()}});
      return 1;
    }
    metrics_server = std::move(*started);
  }

  grpc_util::ServerOptions options = grpc_util::ServerOptionsFrom("audit", flags);
  grpc_util::ServerRunner runner(options);
  runner.AddService(&audit_service, "jifen.audit.v1.AuditService");
  runner.AddService(&supervision_service, "jifen.audit.v1.SupervisionService");
  runner.SetReadinessCheck([&pool] { return pool.Ping(); });
  if (absl::Status started = runner.Start(); !started.ok()) {
    log::Error("cannot start", {{"error", started.ToString()}});
    return 1;
  }
  if (absl::Status written = grpc_util::WritePortFile(flags.port_file, runner.port());
      !written.ok()) {
    log::Error("cannot write the port file", {{"error", written.ToString()}});
    return 1;
  }
  log::Info("serving", {{"port", std::to_string(runner.port())}});

  // Daily checkpoints: yesterday's is made once the day is over; a failure (MariaDB down) is
  // retried at the next poll. The automatic checks run on their own interval.
  absl::Notification stop_background;
  std::thread checkpoints([&] {
    do {
      absl::StatusOr<audit::Checkpoint> checkpoint = trail.EnsureYesterdaysCheckpoint();
      if (!checkpoint.ok()) {
        log::Warning("checkpoint not made", {{"error", checkpoint.status().ToString()}});
      }
    } while (!stop_background.WaitForNotificationWithTimeout(checkpoint_poll));
  });
  std::thread checks([&] {
    if (checks_interval == absl::ZeroDuration()) return;
    auth::Caller self;
    self.user_id = "audit";
    self.role = auth::Role::kService;
    while (!stop_background.WaitForNotificationWithTimeout(checks_interval)) {
      audit::Actor actor{"audit", "system", "", absl::ToUnixMillis(absl::Now())};
      absl::StatusOr<audit::Supervision::ChecksOutcome> outcome =
          supervision.RunChecks(self, actor, 0);
      if (!outcome.ok()) {
        log::Warning("automatic checks failed", {{"error", outcome.status().ToString()}});
      } else if (outcome->flags_raised > 0) {
        log::Info("anomaly flags raised", {{"count", std::to_string(outcome->flags_raised)}});
      }
    }
  });

  // Dashboard figures: every village of the directory, this year and last (whose fourth quarter is
  // published in January), from the three owners. A failed owner keeps its previous figures (they
  // carry their own timestamps).
  std::thread dashboard([&] {
    if (dashboard_interval == absl::ZeroDuration() || !has_backends) return;
    auth::Caller self;
    self.user_id = "audit";
    self.role = auth::Role::kService;
    const auto stopping = [&] { return stop_background.HasBeenNotified(); };
    do {
      const int this_year = figures.CurrentYear();
      for (int year : {this_year, this_year - 1}) {
        absl::StatusOr<audit::RefreshOutcome> refreshed = figures.Refresh(self, 0, year, stopping);
        if (!refreshed.ok()) {
          log::Warning("dashboard refresh failed",
                       {{"year", std::to_string(year)}, {"error", refreshed.status().ToString()}});
        } else if (refreshed->parts_unavailable > 0) {
          log::Warning("dashboard refresh incomplete",
                       {{"year", std::to_string(year)},
                        {"parts_unavailable", std::to_string(refreshed->parts_unavailable)}});
        }
      }
    } while (!stop_background.WaitForNotificationWithTimeout(dashboard_interval));
  });

  const int signal = grpc_util::WaitForTerminationSignal();
  log::Info("stopping", {{"signal", std::to_string(signal)}});
  stop_background.Notify();
  checkpoints.join();
  checks.join();
  dashboard.join();
  runner.Shutdown();
  runner.Wait();
  return 0;
}

}  // namespace
}  // namespace jifen

int main(int argc, char** argv) { return jifen::Run(argc, argv); }
