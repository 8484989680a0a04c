#include "services/scoring/storage/ledger_audit.h"

#include <string>

#include "absl/strings/match.h"
#include "common/audit/state_digest.h"
#include "common/text/text.h"
#include "gtest/gtest.h"
#include "services/scoring/storage/audit_outbox.h"

namespace jifen::scoring {
namespace {

const LedgerActor kRedemption{"redemption", "service"};

StoredEntry Debit(const std::string& reason) {
  StoredEntry entry;
  entry.village_id = 7;
  entry.household_id = 42;
  entry.account = Account::kWallet;
  entry.points = -30;
  entry.reason = reason;
  entry.source = EntrySource::kRedemption;
  entry.source_id = "order-1";
  entry.sequence = 900;
  return entry;
}

TEST(LedgerAuditTest, ADebitNamesTheWalletBeforeAndAfter) {
  const audit::AuditFacts facts = WalletDebitAudit(kRedemption, Debit("兑换: 洗衣液 x1"), 20);
  EXPECT_EQ(facts.village_id, 7);
  EXPECT_EQ(facts.actor_user_id, "redemption");
  EXPECT_EQ(facts.actor_role, "service");
  EXPECT_EQ(facts.action, "debit_wallet");
  EXPECT_EQ(facts.object_type, "wallet");
  EXPECT_EQ(facts.object_id, "42");
  EXPECT_EQ(facts.before, "balance=50");
  EXPECT_EQ(facts.after, "balance=20 entry=900 points=-30 order=order-1 reason=兑换: 洗衣液 x1");
}

TEST(LedgerAuditTest, AReasonThatFitsIsKeptWholeAndALongerOneIsCutOnACharacter) {
  const std::string head = "balance=20 entry=900 points=-30 order=order-1 reason=";
  // Exactly the room left: kept whole, no ellipsis.
  const std::string fits(audit::kMaxInlineStateBytes - head.size(), 'x');
  EXPECT_EQ(WalletDebitAudit(kRedemption, Debit(fits), 20).after, head + fits);

  // Longer than any reason the ledger takes (500 characters), as a stored one might be.
  std::string long_reason;
  for (int i = 0; i < 1400; ++i) long_reason += "错";
  const std::string after = WalletDebitAudit(kRedemption, Debit(long_reason), 20).after;
  EXPECT_LE(after.size(), audit::kMaxInlineStateBytes);
  EXPECT_TRUE(absl::StartsWith(after, head + "错错错"));
  EXPECT_TRUE(absl::EndsWith(after, "错…"));
  EXPECT_GE(text::Utf8Length(after), 0) << "cut inside a character";
  EXPECT_FALSE(absl::StartsWith(after, "sha256:")) << "must reach the trail as text";
}

TEST(LedgerAuditTest, ControlCharactersInAReasonBecomeSpacesSoTheStateStaysText) {
  const std::string after = WalletDebitAudit(kRedemption, Debit("line one\nline\ttwo"), 20).after;
  EXPECT_TRUE(absl::EndsWith(after, "reason=line one line two"));
  EXPECT_FALSE(absl::StartsWith(after, "sha256:"));
}

TEST(LedgerAuditTest, ASettlementWithoutCreditsIsStillRecorded) {
  const std::vector<audit::AuditFacts> records =
      SettlementAudit({"publicity", "service"}, 7, "2025Q3", {});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "settle_period");
  EXPECT_EQ(records[0].object_type, "period");
  EXPECT_EQ(records[0].object_id, "7/2025Q3");
  EXPECT_EQ(records[0].before, "settled=false");
  EXPECT_EQ(records[0].after, "settled=true households=0 points=0");
}

TEST(LedgerAuditTest, ASettlementListsEachCreditWithItsWallet) {
  SettlementCredit first{Debit(""), 50};
  first.entry.points = 50;
  first.entry.sequence = 11;
  SettlementCredit second{Debit(""), 0};
  second.entry.household_id = 43;
  second.entry.points = 100;
  second.entry.sequence = 12;
  const std::vector<audit::AuditFacts> records =
      SettlementAudit({"publicity", "service"}, 7, "2025Q3", {first, second});
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].after, "settled=true households=2 points=150 entries=11-12");
  EXPECT_EQ(records[1].action, "credit_wallet");
  EXPECT_EQ(records[1].object_id, "42");
  EXPECT_EQ(records[1].before, "balance=50");
  EXPECT_EQ(records[1].after, "balance=100 entry=11 points=50 period=2025Q3");
  EXPECT_EQ(records[2].object_id, "43");
  EXPECT_EQ(records[2].before, "balance=0");
  EXPECT_EQ(records[2].after, "balance=100 entry=12 points=100 period=2025Q3");
}

}  // namespace
}  // namespace jifen::scoring
