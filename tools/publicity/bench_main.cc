// jifen-publicity-bench: the publicity benchmarks of issue 5, in one run, against a real Redis.
//
//   jifen-publicity-bench --redis_host=127.0.0.1 --redis_port=6379 [--quick]
//
// 1. feed rate: ledger entries applied per second (pipelined Lua, exactly-once cursors);
// 2. top-50 read of a 10,000-household board through gRPC (BoardService.GetBoard, 50 calls in
//    flight from 4 event-driven client threads) against
//    `redis-benchmark -c 50 ZREVRANGE key 0 49 WITHSCORES` on the same key;
// 3. rank read latency (BoardStore::ReadStanding: ZRANK + neighbours) with 1,000,000 members
//    against 1,000 members;
// 4. rebuild: 100,000 households x 20 entries replayed from sequence 0.
// The gRPC server runs in this process with the real handler, domain and Redis store; the
// registry (names) and MariaDB are replaced by empty stand-ins, so names are left out: the
// figures are those of the board path. It uses keys under "bench<pid>:" and deletes them.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/auth/test_keys.h"
#include "common/auth/token.h"
#include "common/grpc/call.h"
#include "common/grpc/client.h"
#include "common/grpc/server_runner.h"
#include "common/log/log.h"
#include "common/redis/redis_client.h"
#include "jifen/publicity/v1/boards.grpc.pb.h"
#include "services/publicity/domain/boards.h"
#include "services/publicity/domain/change_hub.h"
#include "services/publicity/domain/feeder.h"
#include "tools/publicity/memory_ledger.h"
#include "services/publicity/handler/board_service.h"
#include "services/publicity/storage/redis_board_store.h"

ABSL_FLAG(std::string, redis_host, "127.0.0.1", "Redis host");
ABSL_FLAG(int, redis_port, 6379, "Redis port");
ABSL_FLAG(std::string, redis_benchmark, "redis-benchmark", "the redis-benchmark program");
ABSL_FLAG(bool, quick, false, "a tenth of the sizes (smoke run)");
ABSL_FLAG(int, client_threads, 4,
          "gRPC load generator threads, each with its own channel (connection) and completion "
          "queue, sharing the 50 calls in flight");
ABSL_FLAG(
    bool, rebuild, true,
    "run the rebuild measurement (about a minute); false to iterate on the read measurements");
ABSL_FLAG(int, rounds, 5,
          "read measurements alternate this many rounds of each side and compare medians, so that "
          "a stall of the shared machine does not decide a ratio");

namespace {

using namespace jifen;             // NOLINT: a benchmark program.
using namespace jifen::publicity;  // NOLINT

class NoHouseholds final : public HouseholdDirectory {
 public:
  absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdCard>> Lookup(
      int64_t, const std::vector<int64_t>&) override {
    return absl::flat_hash_map<int64_t, HouseholdCard>();
  }
  absl::StatusOr<std::optional<HouseholdPlace>> Place(int64_t) override { return std::nullopt; }
};

class OneTown final : public VillageDirectory {
 public:
  absl::StatusOr<int64_t> TownOf(int64_t) override { return 1; }
  absl::StatusOr<int64_t> VillageOfGroup(int64_t) override {
    return absl::NotFoundError("the benchmark reads village boards only");
  }
  absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> AllVillages() override {
    return absl::flat_hash_map<int64_t, int64_t>();
  }
};

class NoWindows final : public WindowRepository {
 public:
  absl::Status CreateWindow(const WindowRecord&, const AuditEvent&) override { return No(); }
  absl::StatusOr<std::optional<WindowRecord>> GetWindow(int64_t, const std::string&) override {
    return No();
  }
  absl::StatusOr<ObjectionRecord> FileObjection(const ObjectionRecord&, absl::Time,
                                                AuditEvent) override {
    return No();
  }
  absl::StatusOr<std::optional<ObjectionRecord>> GetObjection(int64_t) override { return No(); }
  absl::StatusOr<ObjectionRecord> TransitionObjection(const ObjectionRecord&,
                                                      const std::vector<ObjectionStatus>&,
                                                      const AuditEvent&) override {
    return No();
  }
  absl::StatusOr<std::vector<ObjectionRecord>> ListObjections(int64_t, const std::string&, int64_t,
                                                              int) override {
    return No();
  }
  absl::StatusOr<std::vector<ObjectionRecord>> ListUpholding(int) override { return No(); }
  absl::StatusOr<std::vector<WindowRecord>> ClaimSettleable(absl::Time, int) override {
    return No();
  }
  absl::Status MarkSettled(int64_t, const std::string&, const Settlement&, absl::Time,
                           const AuditEvent&) override {
    return No();
  }
  absl::StatusOr<bool> NoteSettlementWaiting(int64_t, const std::string&,
                                             const std::string&) override {
    return No();
  }
  absl::StatusOr<std::vector<WindowRecord>> ExtendWindows(const std::vector<WindowDeadline>&,
                                                          int64_t, absl::Time) override {
    return No();
  }
  absl::StatusOr<int64_t> WindowFeedPosition() override { return No(); }
  absl::Status SaveWindowFeedPosition(int64_t) override { return No(); }
  absl::StatusOr<ListRules> GetListRules(int64_t) override { return No(); }
  absl::Status PutListRules(const ListRules&, const AuditEvent&) override { return No(); }

 private:
  static absl::Status No() { return absl::UnimplementedError("not in the benchmark"); }
};

// `households` households of `villages` villages, `per_household` score entries each, in
// stream order, points -5..+10.
std::vector<BoardEntry> Ledger(int villages, int households, int per_household,
                               int64_t village_base) {
  std::vector<BoardEntry> entries;
  entries.reserve(static_cast<size_t>(households) * per_household);
  int64_t sequence = 0;
  uint64_t state = 88172645463325252ULL;
  for (int round = 0; round < per_household; ++round) {
    for (int h = 0; h < households; ++h) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      BoardEntry entry;
      entry.sequence = ++sequence;
      entry.village_id = village_base + h % villages;
      entry.household_id = 1000000 + h;
      entry.group_id = 1 + h % 4;
      entry.score_account = true;
      entry.points = static_cast<int64_t>(state % 16) - 5;
      entry.period = "2025Q3";
      entry.category = entry.points < 0 ? "garbage_sorting" : "living_environment";
      entries.push_back(entry);
    }
  }
  return entries;
}

double Seconds(absl::Time since) { return absl::ToDoubleSeconds(absl::Now() - since); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

std::string Listed(const std::vector<double>& values) {
  std::string text;
  for (double value : values) {
    absl::StrAppend(&text, text.empty() ? "" : ", ", absl::StrFormat("%.0f", value));
  }
  return text;
}

// Waits until Redis is not rewriting its append-only file or saving a snapshot (the rebuild's two
// million writes set one off), so that the read rounds measure reads, not a background fork.
void WaitForRedisPersistenceIdle(redis::RedisPool& pool) {
  const absl::Time deadline = absl::Now() + absl::Minutes(3);
  while (absl::Now() < deadline) {
    absl::StatusOr<redis::Reply> info = pool.Get().Command({"INFO", "persistence"});
    if (!info.ok()) return;
    if (info->str.find("aof_rewrite_in_progress:1") == std::string::npos &&
        info->str.find("rdb_bgsave_in_progress:1") == std::string::npos) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

// Runs redis-benchmark and returns its requests per second for the command.
double RedisBenchmark(const std::string& key, int requests) {
  const std::string command =
      absl::StrCat(absl::GetFlag(FLAGS_redis_benchmark), " -h ", absl::GetFlag(FLAGS_redis_host),
                   " -p ", absl::GetFlag(FLAGS_redis_port), " -c 50 -n ", requests,
                   " --csv ZREVRANGE ", key, " 0 49 WITHSCORES 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return 0;
  char line[512];
  double rps = 0;
  while (fgets(line, sizeof(line), pipe) != nullptr) {
    // "ZREVRANGE ...","12345.67",...  (the header line has no number)
    std::string text(line);
    const size_t comma = text.find("\",\"");
    if (comma == std::string::npos) continue;
    const size_t end = text.find('"', comma + 3);
    double value = 0;
    if (absl::SimpleAtod(text.substr(comma + 3, end - comma - 3), &value)) rps = value;
  }
  pclose(pipe);
  return rps;
}

int Run() {
  const bool quick = absl::GetFlag(FLAGS_quick);
  const int scale = quick ? 10 : 1;
  redis::RedisConfig config;
  config.host = absl::GetFlag(FLAGS_redis_host);
  config.port = absl::GetFlag(FLAGS_redis_port);
  config.pool_size = 8;
  config.command_timeout = absl::Seconds(30);
  redis::RedisPool pool(config);
  if (absl::Status ping = pool.Get().Ping(); !ping.ok()) {
    std::fprintf(stderr, "redis: %s\n", ping.ToString().c_str());
    return 1;
  }
  const std::string prefix = absl::StrCat("bench", getpid(), ":");
  // As the service runs it (--board_cursor_tracking).
  CursorTrackerOptions cursor_options;
  cursor_options.redis = config;
  CursorTracker cursors(cursor_options);
  RedisBoardStore store(pool, prefix, &cursors);
  MemoryLedger ledger;
  NoHouseholds households;
  OneTown villages;
  NoWindows windows;
  Boards boards(store, households, villages, windows, ledger);
  FeederOptions feeder_options;
  feeder_options.batch_max = 5000;
  BoardFeeder feeder(store, ledger, feeder_options);

  // 4 (and 1). Rebuild: 100,000 households x 20 entries over 100 villages, from sequence 0.
  absl::Time start = absl::Now();
  if (absl::GetFlag(FLAGS_rebuild)) {
    const int rebuild_households = 100000 / scale;
    ledger.entries = Ledger(100, rebuild_households, 20, /*village_base=*/1000);
    start = absl::Now();
    if (absl::Status status = feeder.CatchUp(); !status.ok()) {
      std::fprintf(stderr, "rebuild: %s\n", status.ToString().c_str());
      return 1;
    }
    const double rebuild_s = Seconds(start);
    std::printf(
        "rebuild: %d households x 20 entries = %zu entries in %.1f s (%.0f entries/s; "
        "target < 60 s)\n",
        rebuild_households, ledger.entries.size(), rebuild_s, ledger.entries.size() / rebuild_s);
  }

  // 2. Top-50 of a 10,000-household board: gRPC against redis-benchmark on the same key.
  ledger.entries = Ledger(1, 10000, 5, /*village_base=*/1);
  if (absl::Status status = store.RequestRebuild(); !status.ok()) return 1;
  start = absl::Now();
  if (absl::Status status = feeder.CatchUp(); !status.ok()) {
    std::fprintf(stderr, "feed: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("feed: %zu entries applied in %.2f s = %.0f entries/s (target >= 20,000/s)\n",
              ledger.entries.size(), Seconds(start), ledger.entries.size() / Seconds(start));
  BoardKey village_board;
  village_board.village_id = 1;
  village_board.period = *ParsePeriod("2025Q3");

  const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
  auto verifier = auth::TokenVerifier::FromPublicKeyPem(keys.public_key_pem, {});
  auto signer = auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});
  auth::Caller resident;
  resident.user_id = "bench";
  resident.role = auth::Role::kResident;
  resident.village_id = 1;
  resident.household_id = 1000000;
  const std::string token = *(*signer)->Sign(resident, absl::Now(), absl::Hours(1));
  grpc_util::CallHandler calls("publicity", verifier->get());
  ChangeHub hub;
  BoardServiceImpl service(calls, boards, hub);
  grpc_util::ServerOptions server_options;
  server_options.service_name = "publicity-bench";
  server_options.handler_threads = 256;      // the services' defaults (--handler_threads,
  server_options.idle_handler_threads = 64;  // --idle_handler_threads)
  grpc_util::ServerRunner runner(server_options);
  runner.AddService(&service, "jifen.publicity.v1.BoardService");
  if (absl::Status started = runner.Start(); !started.ok()) return 1;

  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  // Per round, a multiple of the 4 channels.
  const int grpc_requests = std::max(4, 100000 / scale / rounds / 4 * 4);
  constexpr int kClients = 50;
  std::atomic<int> failures{0};
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < absl::GetFlag(FLAGS_client_threads); ++c) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("jifen.bench.channel", c);  // distinct channels, distinct connections
    channels.push_back(grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", runner.port()),
                                                 grpc::InsecureChannelCredentials(), arguments));
  }
  v1::GetBoardRequest request;
  request.mutable_board()->set_scope(v1::BOARD_SCOPE_VILLAGE);
  request.mutable_board()->set_village_id(1);
  request.mutable_board()->set_period("2025Q3");
  request.set_page_size(50);
  // Like redis-benchmark's event loop: kClients calls kept in flight over completion queues, by
  // one driver thread per channel, so that the load generator spends little of the two cores.
  const auto grpc_round = [&] {
    const absl::Time round_start = absl::Now();
    std::vector<std::thread> clients;
    for (size_t c = 0; c < channels.size(); ++c) {
      clients.emplace_back([&, c] {
        auto stub = v1::BoardService::NewStub(channels[c]);
        struct Call {
          std::unique_ptr<grpc::ClientContext> context;
          v1::Board board;
          grpc::Status status;
          std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Board>> reader;
        };
        grpc::CompletionQueue queue;
        const int in_flight = kClients / static_cast<int>(channels.size());
        const int total = grpc_requests / static_cast<int>(channels.size());
        std::vector<Call> calls(in_flight);
        int issued = 0;
        const auto issue = [&](int slot) {
          Call& call = calls[slot];
          call.context = grpc_util::NewClientContext(absl::Seconds(10), token);
          call.board.Clear();
          call.reader = stub->AsyncGetBoard(call.context.get(), request, &queue);
          call.reader->Finish(&call.board, &call.status, reinterpret_cast<void*>(slot));
          ++issued;
        };
        for (int slot = 0; slot < in_flight && issued < total; ++slot) issue(slot);
        void* tag = nullptr;
        bool ok = false;
        for (int done = 0; done < issued && queue.Next(&tag, &ok);) {
          ++done;
          const int slot = static_cast<int>(reinterpret_cast<intptr_t>(tag));
          const Call& call = calls[slot];
          if (!ok || !call.status.ok() || call.board.rows_size() != 50) {
            if (failures++ == 0) {
              std::fprintf(stderr, "GetBoard: %s\n", call.status.error_message().c_str());
            }
          }
          if (issued < total) issue(slot);
        }
      });
    }
    for (std::thread& client : clients) client.join();
    return grpc_requests / Seconds(round_start);
  };
  WaitForRedisPersistenceIdle(pool);
  std::vector<double> grpc_rounds;
  std::vector<double> redis_rounds;
  for (int round = 0; round < rounds; ++round) {
    grpc_rounds.push_back(grpc_round());
    redis_rounds.push_back(RedisBenchmark(store.BoardKeyName(village_board), grpc_requests));
  }
  const double grpc_rps = Median(grpc_rounds);
  // The same reads without gRPC and token verification, to show where the time goes.
  start = absl::Now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < grpc_requests / kClients; ++i) {
        absl::StatusOr<ShownPage> page = boards.GetBoard(resident, village_board, 50, "");
        if (!page.ok() || page->rows.size() != 50) ++failures;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  const double direct_rps = grpc_requests / Seconds(start);
  // And the token verification alone, which every RPC pays (common/auth).
  start = absl::Now();
  const int verifications = 2000 / scale;
  for (int i = 0; i < verifications; ++i) {
    if (!(*verifier)->Verify(token, absl::Now()).ok()) ++failures;
  }
  const double verify_us = absl::ToDoubleMicroseconds(absl::Now() - start) / verifications;
  const double redis_rps = Median(redis_rounds);
  std::printf(
      "top-50 of 10,000, medians of %d alternating rounds: gRPC GetBoard %.0f req/s (%d failed), "
      "redis-benchmark ZREVRANGE 0 49 WITHSCORES %.0f req/s, ratio %.2fx (target >= 0.3x)\n"
      "  rounds: gRPC %s; redis-benchmark %s\n",
      rounds, grpc_rps, failures.load(), redis_rps, redis_rps > 0 ? grpc_rps / redis_rps : 0.0,
      Listed(grpc_rounds).c_str(), Listed(redis_rounds).c_str());
  std::printf(
      "  same reads in-process (domain and its page and cursor caches; no gRPC, no token): %.0f "
      "req/s, ratio "
      "%.2fx; one token verification (single thread): %.0f us\n",
      direct_rps, redis_rps > 0 ? direct_rps / redis_rps : 0.0, verify_us);
  runner.Shutdown();

  // 3. Rank read latency: 1,000 members against 1,000,000 (filled with ZADD, not the feed).
  const auto fill = [&](int64_t village_id, int members) -> BoardKey {
    BoardKey key;
    key.village_id = village_id;
    key.period = *ParsePeriod("2025Q3");
    std::vector<std::vector<std::string>> commands;
    for (int i = 0; i < members; i += 1000) {
      std::vector<std::string> zadd = {"ZADD", store.BoardKeyName(key)};
      for (int k = i; k < std::min(members, i + 1000); ++k) {
        zadd.push_back(absl::StrCat(-(k % 5000)));
        zadd.push_back(RedisBoardStore::Member(k + 1));
      }
      commands.push_back(std::move(zadd));
      if (commands.size() == 50) {
        (void)pool.Get().Pipeline(commands);
        commands.clear();
      }
    }
    if (!commands.empty()) (void)pool.Get().Pipeline(commands);
    return key;
  };
  const auto p50_us = [&](const BoardKey& key, int members) {
    std::vector<double> micros;
    const int reads = 20000 / scale / rounds;
    uint64_t state = 2463534242ULL;
    for (int i = 0; i < reads; ++i) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      const absl::Time t = absl::Now();
      absl::StatusOr<StandingView> view =
          store.ReadStanding(key, 1 + static_cast<int64_t>(state % members), 2);
      micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - t));
      if (!view.ok() || !view->on_board) ++failures;
    }
    std::sort(micros.begin(), micros.end());
    return std::make_pair(micros[micros.size() / 2], micros[micros.size() * 99 / 100]);
  };
  const int big = 1000000 / scale;
  const BoardKey small_board = fill(900001, 1000);
  const BoardKey big_board = fill(900002, big);
  WaitForRedisPersistenceIdle(pool);
  std::vector<double> small_p50, small_p99, large_p50, large_p99;
  for (int round = 0; round < rounds; ++round) {
    const auto small = p50_us(small_board, 1000);
    const auto large = p50_us(big_board, big);
    small_p50.push_back(small.first);
    small_p99.push_back(small.second);
    large_p50.push_back(large.first);
    large_p99.push_back(large.second);
  }
  std::printf(
      "rank read (ReadStanding, 2 neighbours), medians of %d alternating rounds: 1,000 members "
      "p50 %.0f us p99 %.0f us; %d members p50 %.0f us p99 %.0f us; p50 ratio %.2fx "
      "(target <= 1.5x)\n  rounds, p50 us: 1,000 members %s; %d members %s\n",
      rounds, Median(small_p50), Median(small_p99), big, Median(large_p50), Median(large_p99),
      Median(large_p50) / Median(small_p50), Listed(small_p50).c_str(), big,
      Listed(large_p50).c_str());

  (void)store.ResetAll();
  (void)pool.Get().Command({"DEL", absl::StrCat(prefix, "{g}:resume")});
  return failures.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As the services do (common/config/config.cc): no absl::Mutex deadlock graph in a benchmark.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // One info line per RPC would be measured too; production may run at --log_level=warning.
  jifen::log::SetMinLevel(jifen::log::Level::kWarning);
  return Run();
}
