// For the tests of publicity's rules against a real jifen-scoring (tests/support/scoring_harness.h)
// reached through the production clients (storage/grpc_scoring.h): one scoring process for the
// whole test binary, started by the first suite that needs it (a start costs seconds), and the
// ledger writes the tests make through scoring's own RPCs. Tests isolate themselves by villages of
// their own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/auth/caller.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/ledger.pb.h"
#include "services/publicity/storage/grpc_scoring.h"
#include "tests/support/scoring_harness.h"

namespace jifen::publicity {

// A deed of 2025-08-15 (Shanghai): its quarter, 2025Q3, is over and can be settled.
int64_t SettleableDeedMs();

// How scoring's ledger holds the reversal of one entry (read from its own database).
struct StoredReversal {
  int64_t sequence = 0;
  std::string correction_id;
  std::string reason;
};

class ScoringTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  // Fails (fatally) when scoring did not start; fixtures that add a SetUp call it first.
  void SetUp() override;
  // Restarts scoring if a test stopped it and did not get to restart it, then checks the ledger's
  // invariants (tests/support/scoring_harness.h).
  void TearDown() override;

  static jifen::testing::ScoringHarness& scoring();
  // Options of publicity's clients: their own channel and the service token publicity runs with.
  static ScoringClientOptions ClientOptions();

  // A village of the test's own with `households` households in one group and its 2025 rulebook
  // (the district template) published.
  static jifen::testing::SeededVillage NewVillage(int households);
  // A grid worker's inspection of `household` with one outcome of rule item `item` (e.g. "HJ-04",
  // -5), as of SettleableDeedMs(). Returns the entry written.
  static scoring::v1::LedgerEntry Inspect(const jifen::testing::SeededVillage& village,
                                          int64_t household, const std::string& item);
  // The village admin's own correction of entry `sequence`. Returns the reversing entry.
  static scoring::v1::LedgerEntry Reverse(const jifen::testing::SeededVillage& village,
                                          int64_t sequence, const std::string& correction_id);
  // The entry reversing `sequence`, if any; and how many there are (scoring allows one).
  static std::optional<StoredReversal> ReversalOf(int64_t sequence);
  static int64_t ReversalsOf(int64_t sequence);
  // Whether scoring has settled the village's 2025Q3.
  static bool Settled(int64_t village_id);
  // Every sequence of the whole ledger, in order (what a replay from 0 streams).
  static std::vector<int64_t> LedgerSequences();

  // A real fault: scoring's process is killed; RestartScoring() starts it again on its port and
  // waits until publicity's channel is connected again (its reconnect backoff is not the test's
  // business).
  static void StopScoring();
  static void RestartScoring();

 private:
  static void Start();
};

}  // namespace jifen::publicity
