// jifen-publicity: boards in Redis fed by scoring's ledger stream, red/black lists, publicity
// windows and objections. Wiring only: flags -> config -> objects -> run.
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
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
#include "common/redis/redis_client.h"
#include "services/audit/client/audit_relay.h"
#include "services/publicity/domain/boards.h"
#include "services/publicity/domain/change_hub.h"
#include "services/publicity/domain/feeder.h"
#include "services/publicity/domain/window_follower.h"
#include "services/publicity/domain/windows.h"
#include "services/publicity/handler/board_service.h"
#include "services/publicity/handler/window_service.h"
#include "services/publicity/storage/grpc_scoring.h"
#include "services/publicity/storage/mysql_window_repository.h"
#include "services/publicity/storage/redis_board_store.h"

ABSL_FLAG(std::string, audit_address, "",
          "jifen-audit host:port that receives the audit records of every change; empty keeps "
          "them in the outbox until it is set");
ABSL_FLAG(std::string, scoring_address, "", "host:port of jifen-scoring (ledger stream, registry)");
ABSL_FLAG(std::string, redis_key_prefix, "publicity:",
          "prefix of every Redis key of this service (no braces); the Redis may be shared");
ABSL_FLAG(bool, board_cursor_tracking, true,
          "keep village cursors in memory with Redis client-side caching (CLIENT TRACKING), so a "
          "cached board page is served with no Redis round trip; false: one GET per page read");
ABSL_FLAG(absl::Duration, window_min_time_to_object, jifen::publicity::kWindowLengthMin,
          "residents' time to object: how much of a publicity window must still lie ahead when it "
          "is opened, and how long after an entry is recorded its window lasts at least (a later "
          "entry moves the end out); 0 turns both off, for loading past quarters' windows");
ABSL_FLAG(absl::Duration, due_work_interval, absl::Seconds(5),
          "how often windows due for settlement and interrupted upholds are processed");
ABSL_FLAG(absl::Duration, aggregate_interval, absl::Seconds(30),
          "how often the town and district yearly boards are rebuilt from the village boards");

namespace {

using namespace jifen;  // NOLINT: main wires everything together.

// Runs `work` every `interval` until `stop` is notified.
std::thread Every(absl::Duration interval, absl::Notification& stop, std::function<void()> work) {
  return std::thread([interval, &stop, work = std::move(work)] {
    while (!stop.WaitForNotificationWithTimeout(interval)) work();
  });
}

int Run(int argc, char** argv) {
  grpc_util::BlockTerminationSignals();
  config::ParseFlagsAndEnvironment(argc, argv,
                                   "jifen-publicity: boards, red/black lists, publicity windows");
  const config::ServiceFlags flags = config::ReadServiceFlags();
  config::Validator validator;
  config::ValidateServiceFlags(flags, /*needs_redis=*/true, validator);
  const std::string scoring_address = absl::GetFlag(FLAGS_scoring_address);
  const std::string prefix = absl::GetFlag(FLAGS_redis_key_prefix);
  validator.RequireHostPort("scoring_address", scoring_address);
  validator.RequireReadableFile("service_token_file", flags.service_token_file);
  if (prefix.find_first_of("{}") != std::string::npos) {
    validator.Add(absl::InvalidArgumentError("--redis_key_prefix must not contain { or }"));
  }
  if (absl::GetFlag(FLAGS_due_work_interval) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_aggregate_interval) <= absl::ZeroDuration()) {
    validator.Add(absl::InvalidArgumentError("intervals must be positive"));
  }
  validator.ExitIfInvalid();

  log::SetServiceName("publicity");
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

  redis::RedisConfig redis_config;
  redis_config.host = flags.redis_host;
  redis_config.port = flags.redis_port;
  redis_config.pool_size = 8;
  redis::RedisPool redis_pool(redis_config);

  publicity::ScoringClientOptions scoring;
  scoring.channel = grpc_util::NewChannel(scoring_address, flags.max_message_bytes);
  scoring.service_token_file = flags.service_token_file;
  publicity::GrpcLedgerSource ledger_source(scoring);
  publicity::GrpcLedgerCommands ledger_commands(scoring);
  publicity::GrpcVillageDirectory villages(scoring);
  publicity::GrpcHouseholdDirectory households(scoring);

  std::unique_ptr<publicity::CursorTracker> cursors;
  if (absl::GetFlag(FLAGS_board_cursor_tracking)) {
    publicity::CursorTrackerOptions cursor_options;
    cursor_options.redis = redis_config;
    cursors = std::make_unique<publicity::CursorTracker>(cursor_options);
  }
  publicity::RedisBoardStore store(redis_pool, prefix, cursors.get());
  publicity::MySqlWindowRepository repository(pool);
  const publicity::PublicityWindows::Clock clock = [] { return absl::Now(); };
  publicity::PublicityWindows windows(repository, ledger_commands, villages, clock,
                                      absl::GetFlag(FLAGS_window_min_time_to_object));
  publicity::Boards boards(store, households, villages, repository, ledger_source);
  publicity::ChangeHub hub;
  publicity::BoardFeeder feeder(store, ledger_source);
  feeder.SetErrorReporter([](const absl::Status& status) {
    log::Warning("board feed interrupted; resuming", {{"error", status.ToString()}});
  });
  feeder.SetListener(
      [&hub](const std::vector<publicity::BoardEntry>& batch) { hub.Publish(batch); });
  // Late entries move their windows' ends out; with no time to object required there is nothing
  // to keep, and the follower doesn't run.
  const absl::Duration min_time_to_object = absl::GetFlag(FLAGS_window_min_time_to_object);
  std::unique_ptr<publicity::WindowFollower> follower;
  if (min_time_to_object > absl::ZeroDuration()) {
    follower = std::make_unique<publicity::WindowFollower>(repository, ledger_source,
                                                           min_time_to_object, clock);
    follower->SetErrorReporter([](const absl::Status& status) {
      log::Warning("window follower interrupted; resuming", {{"error", status.ToString()}});
    });
    follower->SetExtensionReporter([](const publicity::WindowRecord& window) {
      log::Info("publicity window extended for a late entry",
                {{"village_id", absl::StrCat(window.village_id)},
                 {"period", window.period},
                 {"ends_at_ms", absl::StrCat(absl::ToUnixMillis(window.ends_at))}});
    });
  }

  grpc_util::CallHandler calls("publicity", verifier->get());
  publicity::BoardServiceImpl board_service(calls, boards, hub);
  publicity::WindowServiceImpl window_service(calls, windows, clock);

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
  if (const std::string audit_address = absl::GetFlag(FLAGS_audit_address);
      !audit_address.empty()) {
    auto started = audit::AuditRelay::Start(pool, audit_address, flags.service_token_file);
    if (!started.ok()) {
      log::Error("cannot start the audit relay", {{"error", started.status().ToString()}});
      return 2;
    }
    audit_relay = *std::move(started);
  }

  grpc_util::ServerOptions options = grpc_util::ServerOptionsFrom("publicity", flags);
  grpc_util::ServerRunner runner(options);
  runner.AddService(&board_service, "jifen.publicity.v1.BoardService");
  runner.AddService(&window_service, "jifen.publicity.v1.PublicityWindowService");
  runner.SetReadinessCheck([&pool, &redis_pool]() -> absl::Status {
    if (absl::Status mysql = pool.Ping(); !mysql.ok()) return mysql;
    return redis_pool.Get().Ping();
  });
  if (absl::Status started = runner.Start(); !started.ok()) {
    log::Error("cannot start", {{"error", started.ToString()}});
    return 1;
  }

  std::thread feeder_thread([&feeder] { feeder.Run(); });
  std::thread follower_thread([&follower] {
    if (follower) follower->Run();
  });
  const auto stop_follower = [&] {
    if (follower) follower->Stop();
    follower_thread.join();
  };
  absl::Notification stop_background;
  std::thread due_work = Every(absl::GetFlag(FLAGS_due_work_interval), stop_background, [&] {
    int settled = 0;
    std::vector<std::string> waits;
    const absl::Status status = windows.RunDueWork(&settled, &waits);
    if (!status.ok()) log::Warning("publicity due work failed", {{"error", status.ToString()}});
    for (const std::string& wait : waits) log::Info("window waits to settle", {{"why", wait}});
    if (settled > 0) log::Info("windows settled", {{"count", absl::StrCat(settled)}});
  });
  std::thread aggregates = Every(absl::GetFlag(FLAGS_aggregate_interval), stop_background, [&] {
    const absl::Time now = absl::Now();
    const absl::CivilDay today = absl::ToCivilDay(now, publicity::ShanghaiTime());
    std::vector<int> years = {static_cast<int>(today.year())};
    // Early in a year the honours of the previous year are still being decided.
    if (today.month() <= 3) years.push_back(static_cast<int>(today.year()) - 1);
    for (int year : years) {
      const absl::Status status = boards.RefreshAggregates(publicity::Period{year, 0}, now);
      if (!status.ok()) {
        log::Warning("town/district boards not refreshed", {{"error", status.ToString()}});
      }
    }
  });

  if (absl::Status written = grpc_util::WritePortFile(flags.port_file, runner.port());
      !written.ok()) {
    log::Error("cannot write port file", {{"error", written.ToString()}});
    feeder.Stop();
    stop_background.Notify();
    feeder_thread.join();
    stop_follower();
    due_work.join();
    aggregates.join();
    return 1;
  }
  log::Info("serving", {{"port", absl::StrCat(runner.port())}});
  const int signal_number = grpc_util::WaitForTerminationSignal();
  log::Info("stopping", {{"signal", absl::StrCat(signal_number)}});
  runner.Shutdown();
  feeder.Stop();
  stop_background.Notify();
  feeder_thread.join();
  stop_follower();
  due_work.join();
  aggregates.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
