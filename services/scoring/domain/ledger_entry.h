// Ledger entries as the domain sees them. Numbering of account and source follows ledger.proto.
#pragma once

#include <cstdint>
#include <string>

namespace jifen::scoring {

enum class Account : int { kScore = 1, kWallet = 2 };

enum class EntrySource : int {
  kInspection = 1,
  kDeclaration = 2,
  kEvaluation = 3,
  kCorrection = 4,
  kSettlement = 5,
  kRedemption = 6,
  kRefund = 7,
};

// An entry about to be written. The ledger assigns sequence, times and hashes.
struct NewEntry {
  int64_t village_id = 0;
  int64_t household_id = 0;
  int64_t group_id = 0;
  Account account = Account::kScore;
  int64_t points = 0;
  std::string period;
  std::string item_code;
  std::string category;
  std::string reason;
  EntrySource source = EntrySource::kInspection;
  std::string source_id;
  int64_t reverses_sequence = 0;
  std::string actor_user_id;
  std::string actor_role;
  int64_t occurred_at_ms = 0;
};

// An entry as stored.
struct StoredEntry : NewEntry {
  int64_t sequence = 0;
  int64_t recorded_at_ms = 0;
  std::string prev_hash;
  std::string hash;
};

// Who asks for a ledger change; its entries and its audit record name them.
struct LedgerActor {
  std::string user_id;
  std::string role;          // auth::RoleName
  std::string request_id{};  // the request that asks, for the audit record
};

// Stable names of categories for ledger rows and red/black lists ("garbage_sorting", ...).
const char* CategoryName(int category);

}  // namespace jifen::scoring
