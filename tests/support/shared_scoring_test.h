// A GoogleTest fixture whose tests share one jifen-scoring and its fresh database, started once
// for the suite (a start costs seconds: migrations, a process, a channel):
//
//   class LedgerAuditTest : public SharedScoringTest<LedgerAuditTest> {
//    public:
//     static constexpr char kSuite[] = "ledger_audit";  // names the database and service account
//    ...
//
// After every test each balance must equal the sum of its entries and every chain must verify.
#pragma once

#include "gtest/gtest.h"
#include "tests/support/scoring_harness.h"

namespace jifen::testing {

template <typename Fixture>
class SharedScoringTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    harness_ = new ScoringHarness(Fixture::kSuite);
    ASSERT_TRUE(harness_->Start());
  }
  static void TearDownTestSuite() {
    delete harness_;
    harness_ = nullptr;
  }
  void TearDown() override {
    if (harness_ != nullptr) harness_->ExpectLedgerInvariants();
  }

  inline static ScoringHarness* harness_ = nullptr;
};

}  // namespace jifen::testing
