// Load generator for the gateway benchmark (run.sh): the same read, LedgerService.GetWallet, made
// directly over gRPC or through the gateway over HTTP, closed-loop (peak) or at a fixed rate
// (latency at a given load). wrk measures the HTTP peak; this tool gives the gRPC side and the
// fixed-rate runs, which wrk can't do.
//
//   jifen-gateway-grpc-bench --mode=seed --target=SCORING --token_private_key=KEY
//       prints HOUSEHOLD_ID=<id> and TOKEN=<village admin token>
//   jifen-gateway-grpc-bench --mode=grpc --target=SCORING --household_id=N --token=T
//       [--connections=16 --duration=10s --rate_per_second=0]
//   jifen-gateway-grpc-bench --mode=http --target=127.0.0.1:PORT ... (same flags)
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/token.h"
#include "common/grpc/client.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"

ABSL_FLAG(std::string, mode, "grpc", "seed, grpc or http");
ABSL_FLAG(std::string, target, "", "scoring host:port (seed, grpc) or gateway host:port (http)");
ABSL_FLAG(std::string, token_private_key, "", "seed: PEM that signs the tokens");
ABSL_FLAG(std::string, token, "", "bearer token for the calls");
ABSL_FLAG(int64_t, household_id, 0, "the household whose wallet is read");
ABSL_FLAG(int, connections, 16, "concurrent callers (one channel / keep-alive connection each)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "how long to run");
ABSL_FLAG(int, rate_per_second, 0, "total request rate; 0 = as fast as possible (peak)");

namespace {

using namespace jifen;  // NOLINT: a tool's main.
namespace v1 = scoring::v1;

int Seed() {
  std::ifstream in(absl::GetFlag(FLAGS_token_private_key));
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto signer = auth::TokenSigner::FromPrivateKeyPem(pem, {});
  if (!signer.ok()) {
    std::fprintf(stderr, "key: %s\n", signer.status().ToString().c_str());
    return 1;
  }
  auto channel = grpc_util::NewChannel(absl::GetFlag(FLAGS_target), 4 << 20);
  auto registry = v1::RegistryService::NewStub(channel);
  auth::Caller district;
  district.user_id = "bench";
  district.role = auth::Role::kDistrictOfficial;
  const std::string district_token = *(*signer)->Sign(district, absl::Now(), absl::Hours(2));
  auto ctx = [](const std::string& token) {
    return grpc_util::NewClientContext(absl::Seconds(10), token);
  };
  v1::CreateTownRequest town_request;
  town_request.set_name("基准镇");
  v1::Town town;
  grpc::Status s = registry->CreateTown(ctx(district_token).get(), town_request, &town);
  v1::CreateVillageRequest village_request;
  village_request.set_town_id(town.town_id());
  village_request.set_name("基准村");
  v1::Village village;
  if (s.ok()) s = registry->CreateVillage(ctx(district_token).get(), village_request, &village);
  auth::Caller admin;
  admin.user_id = "bench-admin";
  admin.role = auth::Role::kVillageAdmin;
  admin.village_id = village.village_id();
  admin.town_id = town.town_id();
  const std::string admin_token = *(*signer)->Sign(admin, absl::Now(), absl::Hours(2));
  v1::CreateGroupRequest group_request;
  group_request.set_village_id(village.village_id());
  group_request.set_name("第1村民小组");
  v1::Group group;
  if (s.ok()) s = registry->CreateGroup(ctx(admin_token).get(), group_request, &group);
  v1::CreateGridRequest grid_request;
  grid_request.set_village_id(village.village_id());
  grid_request.set_name("一号网格");
  v1::Grid grid;
  if (s.ok()) s = registry->CreateGrid(ctx(admin_token).get(), grid_request, &grid);
  v1::CreateHouseholdRequest household_request;
  v1::Household* household = household_request.mutable_household();
  household->set_village_id(village.village_id());
  household->set_group_id(group.group_id());
  household->set_grid_id(grid.grid_id());
  household->set_house_number("1号");
  household->set_head_name("张建华");
  household->set_kind(v1::HOUSEHOLD_KIND_REGISTERED);
  v1::Member* member = household_request.add_members();
  member->set_name("张建华");
  member->set_is_head(true);
  v1::HouseholdDetail detail;
  if (s.ok()) s = registry->CreateHousehold(ctx(admin_token).get(), household_request, &detail);
  if (!s.ok()) {
    std::fprintf(stderr, "seed failed: %d %s\n", s.error_code(), s.error_message().c_str());
    return 1;
  }
  std::printf("HOUSEHOLD_ID=%lld\nTOKEN=%s\n",
              static_cast<long long>(detail.household().household_id()), admin_token.c_str());
  return 0;
}

struct WorkerResult {
  std::vector<double> latencies_ms;
  int64_t errors = 0;
};

// Runs `call` from `connections` threads until the deadline, closed-loop or paced.
template <typename MakeCaller>
int Load(const MakeCaller& make_caller) {
  const int connections = absl::GetFlag(FLAGS_connections);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const int rate = absl::GetFlag(FLAGS_rate_per_second);
  std::vector<WorkerResult> results(connections);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      auto call = make_caller();
      const absl::Duration interval =
          rate > 0 ? absl::Seconds(1) * connections / rate : absl::ZeroDuration();
      absl::Time next = start + interval * i / std::max(connections, 1);
      while (true) {
        if (rate > 0) {
          const absl::Time now = absl::Now();
          if (next > now) absl::SleepFor(next - now);
        }
        // Latency is measured from the scheduled start, so a late sender counts its queueing.
        const absl::Time scheduled = rate > 0 ? next : absl::Now();
        if (scheduled >= end) break;
        const bool ok = call();
        results[i].latencies_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - scheduled));
        if (!ok) ++results[i].errors;
        next += interval;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  int64_t errors = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    errors += r.errors;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::printf(
      "mode=%s connections=%d rate=%d requests=%zu errors=%lld rps=%.0f p50_ms=%.3f "
      "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
      absl::GetFlag(FLAGS_mode).c_str(), connections, rate, all.size(),
      static_cast<long long>(errors), all.size() / absl::ToDoubleSeconds(duration), pct(0.50),
      pct(0.90), pct(0.99), all.empty() ? 0.0 : all.back());
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As the services do (common/config/config.cc): no absl::Mutex deadlock graph in a benchmark.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "seed") return Seed();
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string token = absl::GetFlag(FLAGS_token);
  const int64_t household = absl::GetFlag(FLAGS_household_id);
  if (mode == "grpc") {
    return Load([&] {
      auto stub = v1::LedgerService::NewStub(grpc_util::NewChannel(target, 4 << 20));
      return
          [stub = std::shared_ptr<v1::LedgerService::Stub>(std::move(stub)), token, household]() {
            v1::GetWalletRequest request;
            request.set_household_id(household);
            v1::Wallet wallet;
            auto context = grpc_util::NewClientContext(absl::Seconds(5), token);
            return stub->GetWallet(context.get(), request, &wallet).ok();
          };
    });
  }
  if (mode == "http") {
    const size_t colon = target.rfind(':');
    const std::string host = target.substr(0, colon);
    const int port = std::stoi(target.substr(colon + 1));
    const std::string path = absl::StrCat("/v1/households/", household, "/wallet");
    return Load([&] {
      auto client = std::make_shared<httplib::Client>(host, port);
      client->set_keep_alive(true);
      client->set_tcp_nodelay(true);
      return [client, path, token]() {
        auto res = client->Get(path.c_str(), {{"Authorization", "Bearer " + token}});
        return res && res->status == 200;
      };
    });
  }
  std::fprintf(stderr, "unknown --mode %s\n", mode.c_str());
  return 2;
}
