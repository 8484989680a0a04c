// The ledger in MariaDB: append-only entries with their caches (wallets, period scores, chain
// heads) kept in the same transaction, and the queries over them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mysql/connection_pool.h"
#include "services/scoring/domain/ledger_entry.h"
#include "services/scoring/storage/ledger_sequencer.h"

namespace sql {
class Connection;
}

namespace jifen::scoring {

struct VillageHead {
  int64_t village_id = 0;
  int64_t head_sequence = 0;
  std::string head_hash;
  int64_t entries = 0;
};

struct PeriodScoreRow {
  std::string period;
  int64_t score = 0;
  bool final = false;
};

struct VillageTotalsRow {
  int64_t households_scored = 0;
  int64_t awards_points = 0;
  int64_t deductions_points = 0;
  bool final = false;
};

struct ChainReport {
  bool intact = true;
  int64_t entries_checked = 0;
  std::string head_hash;
  int64_t head_sequence = 0;
  int64_t first_bad_sequence = 0;
};

struct SettlementResult {
  int64_t households_credited = 0;
  int64_t points_credited = 0;
  bool already_settled = false;
};

class MySqlLedger final {
 public:
  MySqlLedger(mysql::ConnectionPool& pool, LedgerSequencer& sequencer)
      : pool_(pool), sequencer_(sequencer) {}

  // ---- Building blocks for transactions (the caller holds the transaction) ----

  // Locks the village's chain head (creating it), serialising the village's ledger writes.
  static absl::StatusOr<VillageHead> LockVillage(sql::Connection& connection, int64_t village_id);
  // Appends entries after LockVillage: hashes, inserts, updates caches and the head. A wallet
  // debit that would go below zero is FAILED_PRECONDITION "WALLET_INSUFFICIENT".
  absl::StatusOr<std::vector<StoredEntry>> Append(sql::Connection& connection, VillageHead& head,
                                                  const std::vector<NewEntry>& entries,
                                                  LedgerSequencer::Ticket& ticket);
  static absl::StatusOr<bool> IsSettled(sql::Connection& connection, int64_t village_id,
                                        const std::string& period);
  // Absolute points each item moved for the household in the period (corrections included).
  static absl::StatusOr<std::map<std::string, int64_t>> ItemTotals(sql::Connection& connection,
                                                                  int64_t household_id,
                                                                  const std::string& period);
  // Entries written for a source. A plain read: callers hold the village's head lock, taken
  // before the transaction's first plain read, so its snapshot already has every earlier commit.
  // (A locking read here would take gap locks that deadlock unrelated villages' inserts.)
  // A `village_id` other than 0 keeps to that village: for keys that are the village's own
  // (correction ids), so that one village's key neither refuses nor reveals another's.
  static absl::StatusOr<std::vector<StoredEntry>> FindBySource(sql::Connection& connection,
                                                               EntrySource source,
                                                               const std::string& source_id,
                                                               int64_t village_id = 0);
  static absl::StatusOr<std::optional<StoredEntry>> FindBySequence(sql::Connection& connection,
                                                                   int64_t sequence,
                                                                   bool for_update);

  LedgerSequencer& sequencer() { return sequencer_; }

  // ---- Whole operations ----

  struct WalletMove {
    StoredEntry entry;
    int64_t balance_points = 0;
  };
  // The four whole operations below write their audit record (ledger_audit.h) in the transaction
  // of their entries, and none when a retry finds its entries already written.
  //
  // Idempotent on order_id, refusals included: a repeat gets the first debit's entry and the wallet
  // right after it; an order id refused for want of points is refused again however the wallet has
  // changed since (table debit_refusals). ALREADY_EXISTS if the order id was used with another
  // household or amount; FAILED_PRECONDITION "WALLET_INSUFFICIENT" when short.
  absl::StatusOr<WalletMove> Debit(int64_t village_id, int64_t household_id, int64_t group_id,
                                   int64_t points, const std::string& order_id,
                                   const std::string& reason, const LedgerActor& actor);
  // Gives a debit back once. NOT_FOUND if the order was never debited.
  absl::StatusOr<WalletMove> Refund(const std::string& order_id, const std::string& reason,
                                    const LedgerActor& actor);
  // Reverses a score entry once, idempotent on correction_id within the entry's village: the same
  // id for the same entry and reason answers the first reversal. ALREADY_EXISTS
  // "CORRECTION_ID_REUSED" for the id used in the village for another entry or reason;
  // FAILED_PRECONDITION "NOT_REVERSIBLE" for a wallet entry, "REVERSAL_NOT_REVERSIBLE" for a
  // reversal, "ALREADY_REVERSED", "PERIOD_FINAL"; NOT_FOUND for no such entry.
  absl::StatusOr<StoredEntry> Reverse(int64_t sequence, const std::string& correction_id,
                                      const std::string& reason, const LedgerActor& actor);
  // Credits each household's positive score of the period to its wallet, once per period.
  // `refuse_recorded_after_ms` > 0: FAILED_PRECONDITION (LATE_ENTRIES), nothing written, while the
  // period has a score entry, not a reversal, recorded after that time (ledger.proto).
  absl::StatusOr<SettlementResult> Settle(int64_t village_id, const std::string& period,
                                          const LedgerActor& actor,
                                          int64_t refuse_recorded_after_ms = 0);

  // ---- Reads ----
  absl::StatusOr<int64_t> WalletBalance(int64_t household_id);
  absl::StatusOr<std::vector<PeriodScoreRow>> PeriodScores(int64_t household_id);
  // Newest first, sequences below `before_sequence` (0: from the newest).
  absl::StatusOr<std::vector<StoredEntry>> HouseholdEntries(int64_t household_id,
                                                            int64_t before_sequence, int limit);
  absl::StatusOr<VillageTotalsRow> VillageTotals(int64_t village_id, const std::string& period);
  // Entries with after < sequence <= up_to, ascending, at most `limit`; village 0 = all.
  absl::StatusOr<std::vector<StoredEntry>> ReadRange(int64_t after, int64_t up_to,
                                                     int64_t village_id, int limit);
  absl::StatusOr<ChainReport> VerifyChain(int64_t village_id);
  // MAX(sequence), for the sequencer at start.
  static absl::StatusOr<int64_t> MaxSequence(mysql::ConnectionPool& pool);

 private:
  mysql::ConnectionPool& pool_;
  LedgerSequencer& sequencer_;
};

}  // namespace jifen::scoring
