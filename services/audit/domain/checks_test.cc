// ExtractFacts on trail records exactly as the services write them today. Scoring's `after` is
// built with FormatAward, the function scoring itself calls; publicity's and redemption's texts are
// copied from their code (named at each record) because audit's tests do not link other services.
// RunChecks over the trail in MariaDB: services/audit/storage/run_checks_test.cc.
#include "services/audit/domain/checks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/domain/record_facts.h"

namespace jifen::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kVillage = 7;
constexpr int64_t kCloseMs = 1'791'993'600'000;  // 2026-10-15 00:00 Asia/Shanghai

std::string Digest(char c) { return std::string(64, c); }

TrailRecord Record(int64_t sequence, const std::string& source, const std::string& actor,
                   const std::string& action, const std::string& object_type,
                   const std::string& after, int64_t at_ms = kCloseMs - 86'400'000 * 3) {
  TrailRecord record;
  record.sequence = sequence;
  record.source_service = source;
  record.outbox_id = sequence;
  record.village_id = kVillage;
  record.actor_user_id = actor;
  record.actor_role = "grid_worker";
  record.action = action;
  record.object_type = object_type;
  record.object_id = absl::StrCat("obj-", sequence);
  record.after = after;
  record.occurred_at_ms = at_ms;
  return record;
}

// services/scoring/storage/mysql_inspections.cc, Submit.
TrailRecord Inspection(int64_t sequence, const std::string& scorer, int64_t household,
                       const std::string& steward, std::vector<std::string> photos,
                       int64_t at_ms = kCloseMs - 86'400'000 * 3) {
  return Record(sequence, "scoring", scorer, "submit_inspection", "inspection",
                FormatAward({household, 50, steward, std::move(photos)}, "entries=1"), at_ms);
}

TEST(ExtractFactsTest, ReadsScoringsInspectionRecord) {
  const std::string after =
      FormatAward({42, 15, "admin-7", {Digest('a'), Digest('b'), Digest('a')}}, "entries=2");
  EXPECT_EQ(after, absl::StrCat("household=42 points=15 entries=2 steward=admin-7 photos=2 photo=",
                                Digest('a'), " photo=", Digest('b')));
  Facts facts;
  ExtractFacts(Record(17, "scoring", "grid-1", "submit_inspection", "inspection", after), facts);
  ASSERT_THAT(facts.scores, SizeIs(1));
  const ScoreEvent& event = facts.scores[0];
  EXPECT_EQ(event.evidence, "audit:17");
  EXPECT_EQ(event.village_id, kVillage);
  EXPECT_EQ(event.scorer_user_id, "grid-1");
  EXPECT_EQ(event.household_id, 42);
  EXPECT_EQ(event.points, 15);
  EXPECT_EQ(event.steward_user_id, "admin-7");
  EXPECT_THAT(event.photo_digests, ElementsAre(Digest('a'), Digest('b')));

  // A household without a steward: no steward key at all.
  facts = Facts();
  ExtractFacts(Inspection(18, "grid-1", 43, "", {}), facts);
  ASSERT_THAT(facts.scores, SizeIs(1));
  EXPECT_EQ(facts.scores[0].steward_user_id, "");
  EXPECT_THAT(facts.scores[0].photo_digests, IsEmpty());
}

TEST(ExtractFactsTest, ReadsThatTheScorerLivesInTheHousehold) {
  AwardFacts award{42, 20, "", {Digest('c')}};
  award.scorer_is_member = true;
  const std::string after = FormatAward(award, "entries=1");
  EXPECT_EQ(after, absl::StrCat("household=42 points=20 entries=1 scorer_member=1 photos=1 photo=",
                                Digest('c')));
  Facts facts;
  ExtractFacts(Record(18, "scoring", "grid-1", "submit_inspection", "inspection", after), facts);
  ASSERT_THAT(facts.scores, SizeIs(1));
  EXPECT_TRUE(facts.scores[0].scorer_is_member);
  EXPECT_TRUE(facts.scores[0].steward_user_id.empty());
  EXPECT_THAT(SelfAwards(facts.scores, {}), SizeIs(1));
  // Without the mark, the same award is not a self-award.
  facts = Facts();
  ExtractFacts(Record(19, "scoring", "grid-1", "submit_inspection", "inspection",
                      FormatAward({42, 20, "", {Digest('c')}}, "entries=1")),
               facts);
  ASSERT_THAT(facts.scores, SizeIs(1));
  EXPECT_FALSE(facts.scores[0].scorer_is_member);
  EXPECT_THAT(SelfAwards(facts.scores, {}), IsEmpty());
}

TEST(ExtractFactsTest, ManyPhotosKeepTheRecordShortAndCountThem) {
  std::vector<std::string> photos;
  for (int i = 0; i < 20; ++i) photos.push_back(absl::StrCat(Digest('c').substr(2), 10 + i));
  photos.push_back("not-a-digest with spaces");  // counted, never listed (it would break parsing)
  const std::string after = FormatAward({42, 150, std::string(64, 's'), photos}, "entries=9");
  EXPECT_LE(after.size(), kMaxFactsBytes) << "kept as text by StateDigest / AuditState";
  EXPECT_THAT(after, HasSubstr("photos=21"));
  Facts facts;
  ExtractFacts(Record(3, "scoring", "g", "submit_inspection", "inspection", after), facts);
  ASSERT_THAT(facts.scores, SizeIs(1));
  const std::vector<std::string>& listed = facts.scores[0].photo_digests;
  ASSERT_GE(listed.size(), 3u);
  ASSERT_LT(listed.size(), 20u);
  for (size_t i = 0; i < listed.size(); ++i) EXPECT_EQ(listed[i], photos[i]) << "the first ones";
  EXPECT_EQ(facts.scores[0].steward_user_id, std::string(64, 's'));
}

TEST(ExtractFactsTest, ReadsApprovedDeclarationsOnly) {
  // services/scoring/storage/mysql_declarations.cc: Submit, then Review (approve / reject).
  Facts facts;
  ExtractFacts(Record(1, "scoring", "resident-42", "submit_declaration", "declaration",
                      "household=42 item=HJ-01 occurred_at_ms=1 state=pending"),
               facts);
  ExtractFacts(Record(2, "scoring", "admin-7", "reject_declaration", "declaration",
                      "state=rejected reason=照片不清楚"),
               facts);
  ExtractFacts(Record(3, "scoring", "admin-7", "approve_declaration", "declaration",
                      FormatAward({42, 5, "admin-7", {Digest('d')}}, "state=approved sequence=88")),
               facts);
  ASSERT_THAT(facts.scores, SizeIs(1));
  EXPECT_EQ(facts.scores[0].evidence, "audit:3");
  EXPECT_EQ(facts.scores[0].scorer_user_id, "admin-7");
  EXPECT_EQ(facts.scores[0].household_id, 42);
  EXPECT_EQ(facts.scores[0].points, 5);
  EXPECT_EQ(facts.scores[0].steward_user_id, "admin-7");
  EXPECT_THAT(facts.scores[0].photo_digests, ElementsAre(Digest('d')));
}

TEST(ExtractFactsTest, ReadsPublicityWindowClosingTimes) {
  const std::string ends = absl::StrCat(" ends_at_ms=", kCloseMs);
  Facts facts;
  // services/publicity/domain/windows.cc OpenWindow (absl::FormatTime of start and end).
  ExtractFacts(
      Record(1, "publicity", "admin-7", "window.open", "window",
             absl::StrCat("open 2026-10-08T00:00:00+08:00 .. 2026-10-15T00:00:00+08:00", ends)),
      facts);
  // services/publicity/storage/mysql_window_repository.cc ClaimSettleable.
  ExtractFacts(Record(2, "publicity", "publicity", "window.close", "window",
                      absl::StrCat("settling: ended with no objection pending", ends)),
               facts);
  // services/publicity/domain/windows.cc, the settlement round.
  ExtractFacts(Record(3, "publicity", "publicity", "window.settle", "window",
                      absl::StrCat("settled: 3 households, 150 points;", ends)),
               facts);
  ExtractFacts(Record(4, "publicity", "resident-1", "objection.file", "objection", "pending"),
               facts);
  ASSERT_THAT(facts.window_closes, SizeIs(3));
  for (const WindowClose& close : facts.window_closes) {
    EXPECT_EQ(close.village_id, kVillage);
    EXPECT_EQ(close.ends_at_ms, kCloseMs);
  }
  EXPECT_EQ(facts.window_closes[0].evidence, "audit:1");
  EXPECT_THAT(facts.scores, IsEmpty());
}

TEST(ExtractFactsTest, AConfirmedOrderIsOneRedemption) {
  // services/redemption/storage/mysql_store_repository.cc OrderJson (nlohmann, keys sorted).
  const std::string order =
      "{\"household_id\":42,\"item_id\":3,\"order_id\":\"o-1\",\"pickup_code\":\"483920\","
      "\"quantity\":1,\"status\":2,\"status_reason\":\"\",\"total_points\":100,"
      "\"value_fen\":500,\"village_id\":7}";
  Facts facts;
  int64_t sequence = 0;
  for (const char* action : {"reserve", "confirm", "request_cancel", "cancel", "fulfil", "fail"}) {
    ExtractFacts(Record(++sequence, "redemption", "resident-42", action, "order", order), facts);
  }
  // A long order (a long status_reason) reaches the trail as a digest: still one redemption.
  ExtractFacts(
      Record(++sequence, "redemption", "resident-43", "confirm", "order", "sha256:" + Digest('e')),
      facts);
  ASSERT_THAT(facts.redemptions, SizeIs(2));
  EXPECT_EQ(facts.redemptions[0].evidence, "audit:2");
  EXPECT_EQ(facts.redemptions[1].evidence, "audit:7");
  EXPECT_THAT(facts.scores, IsEmpty());
}

}  // namespace
}  // namespace jifen::audit
