// A real jifen-scoring process on a fresh database, for the integration tests of scoring and of
// every service that talks to it (publicity, redemption, gateway). It applies scoring's
// migrations, runs the service under its own restricted MariaDB account (as in production), mints
// tokens, seeds villages through the registry RPCs, and checks the ledger's invariants.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "common/auth/caller.h"
#include "common/auth/token.h"
#include "common/mysql/connection_pool.h"
#include "tests/support/service_process.h"

namespace jifen::testing {

struct SeededVillage {
  int64_t town_id = 0;
  int64_t village_id = 0;
  std::vector<int64_t> group_ids;
  int64_t grid_id = 0;                  // every seeded household is in this grid
  std::string grid_worker_user_id;
  int64_t team_id = 0;                  // an assessment team covering the first group
  std::vector<int64_t> household_ids;
};

class ScoringHarness final {
 public:
  // `suite` names the database ("t_<pid>_<suite>") and the service account.
  explicit ScoringHarness(std::string suite);
  ~ScoringHarness();

  // Creates the database and account, applies migrations, starts the process. False (with a
  // test failure recorded) on any problem.
  bool Start();
  // Start() in two steps, for a test that must start another process (e.g. jifen-audit, which
  // needs public_key_path()) before scoring can be given its address: Prepare() creates the
  // database, account and keys; Launch() starts the process with `extra_flags` added (e.g.
  // --audit_address and --service_token_file, so that scoring relays its own audit outbox).
  bool Prepare();
  bool Launch(const std::vector<std::string>& extra_flags = {});
  ServiceProcess& process() { return *process_; }
  std::string address() const { return process_->address(); }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  // Files other services need to run against this scoring: the token public key, and a service
  // token file with role "service" and the given subject.
  const std::string& public_key_path() const { return public_key_path_; }
  std::string WriteServiceTokenFile(const std::string& service_name);

  std::string Token(const auth::Caller& caller) const;
  std::string ServiceToken(const std::string& service_name) const;
  std::string DistrictToken() const;
  std::string VillageAdminToken(int64_t village_id) const;
  std::string GridWorkerToken(const SeededVillage& village) const;
  std::string ResidentToken(int64_t village_id, int64_t household_id) const;

  // A client context with a 10 s deadline and the token.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token);

  // A town, a village, `groups` villager groups, one grid with a grid worker, an assessment team
  // covering the first group, and `households` households spread over the groups, all through
  // RegistryService.
  SeededVillage SeedVillage(int households, int groups = 2);
  // Derives the village rulebook from the template, records a valid vote and publishes it,
  // effective from `effective_from` (YYYY-MM-DD). Returns the rulebook id.
  int64_t PublishRulebook(int64_t village_id, int year, const std::string& effective_from);

  // 2025-08-15 in Shanghai, Unix milliseconds: a deed in a quarter that is over (2025Q3), so that
  // it can also be settled, and under FundableVillage's 2025 rulebook.
  static int64_t SettleableDeedMs();

  // The code of the uncapped +50 item that FundableVillage adds to its rulebook.
  static constexpr char kAwardItem[] = "TS-50";
  // A seeded village whose 2025 rulebook (effective 2025-01-01) is the template plus kAwardItem
  // (+50, no cap, scored by grid workers and the village admin), so wallets can be funded.
  SeededVillage FundableVillage(int households);
  // Gives each household `points` (a multiple of 50) in 2025Q3, then settles 2025Q3 into wallets.
  void FundWallets(const SeededVillage& village, const std::vector<int64_t>& households,
                   int points);
  int64_t WalletBalance(int64_t household_id);
  // The household's score of `period` ("2025Q3") as stored beside the ledger (period_scores).
  int64_t PeriodScore(int64_t household_id, const std::string& period);

  // The ledger invariants (style.md): each wallet and period score equals the sum of its entries,
  // no wallet below zero, no source applied twice, every village chain verifies. Records failures.
  void ExpectLedgerInvariants();

  // An admin connection pool on the service's database, for assertions and crafted damage.
  mysql::ConnectionPool& admin_pool() { return *admin_pool_; }
  const std::string& database() const { return database_; }
  const std::string& service_user() const { return service_user_; }
  const std::string& service_password() const { return service_password_; }

 private:
  std::string suite_;
  std::string database_;
  std::string service_user_;
  std::string service_password_;
  std::string work_dir_;
  std::string public_key_path_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<mysql::ConnectionPool> admin_pool_;
  std::unique_ptr<ServiceProcess> process_;
  std::shared_ptr<grpc::Channel> channel_;
  int seeded_villages_ = 0;
};

}  // namespace jifen::testing
