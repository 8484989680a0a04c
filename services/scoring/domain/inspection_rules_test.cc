#include "services/scoring/domain/inspection_rules.h"

#include <limits>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "services/scoring/domain/period.h"

namespace jifen::scoring {
namespace {

class InspectionRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RuleItemSpec tidy{"HJ-01", "宅前屋后整洁", 1, 1, 5, 15, false, {"grid_worker"}};
    RuleItemSpec litter{"HJ-02", "乱堆乱放", 1, 1, -5, 15, true, {"grid_worker"}};
    RuleItemSpec rental{"CZ-01", "出租房规范", 4, 4, 5, 10, false, {"grid_worker"}};
    RuleItemSpec customs{"YF-02", "大操大办", 2, 5, -10, 20, false, {"village_admin"}};
    for (const RuleItemSpec& item : {tidy, litter, rental, customs}) items_[item.code] = item;
    input_.inspection_id = "insp-0001-abcd";
    input_.actor_user_id = "gw-1";
    input_.actor_role = "grid_worker";
    input_.household.household_id = 42;
    input_.household.village_id = 1;
    input_.household.group_id = 7;
    input_.household.grid_id = 3;
    input_.occurred_at = now_ - absl::Hours(1);
  }

  absl::StatusOr<std::vector<NewEntry>> Plan(std::vector<OutcomeInput> outcomes,
                                             std::map<std::string, int64_t> so_far = {}) {
    input_.outcomes = std::move(outcomes);
    return PlanInspectionEntries(input_, items_, so_far, now_);
  }

  const absl::Time now_ = absl::FromCivil(absl::CivilSecond(2025, 8, 15, 10, 0, 0), ShanghaiTime());
  std::map<std::string, RuleItemSpec> items_;
  InspectionInput input_;
};

TEST_F(InspectionRulesTest, OneEntryPerOutcomeInOrder) {
  auto entries = Plan({{"HJ-01", {}, "门前干净"}, {"HJ-02", {std::string(64, 'a')}, ""}});
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].points, 5);
  EXPECT_EQ((*entries)[0].reason, "宅前屋后整洁: 门前干净");
  EXPECT_EQ((*entries)[0].period, "2025Q3");
  EXPECT_EQ((*entries)[0].category, "living_environment");
  EXPECT_EQ((*entries)[1].points, -5);
  EXPECT_EQ((*entries)[1].household_id, 42);
  EXPECT_EQ((*entries)[1].group_id, 7);
}

// A Chinese input method types the full-width space (U+3000): a note of those is no note.
TEST_F(InspectionRulesTest, ABlankNoteLeavesTheItemNameAsTheReason) {
  auto entries = Plan({{"HJ-02", {std::string(64, 'a')}, "\xE3\x80\x80 \xE3\x80\x80"}});
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ((*entries)[0].reason, "乱堆乱放");
}

TEST_F(InspectionRulesTest, RefusesWhatTheRulebookDoesNotAllow) {
  EXPECT_EQ(Plan({{"XX-01", {}, ""}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Plan({{"HJ-02", {}, ""}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Plan({{"YF-02", {}, ""}}).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Plan({{"CZ-01", {}, ""}}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Plan({{"HJ-01", {}, ""}, {"HJ-01", {}, ""}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Plan({}).status().code(), absl::StatusCode::kInvalidArgument);
}

// A required photo is only evidence if it names an uploaded photo (the gateway's photo_ref).
TEST_F(InspectionRulesTest, PhotoRefsMustNameUploadedPhotos) {
  const std::string photo(64, 'a');
  EXPECT_TRUE(Plan({{"HJ-02", {photo}, ""}}).ok());
  for (const std::string& bad : {std::string("abc"), std::string(64, 'A'), std::string(63, 'a'),
                                std::string(64, 'g'), std::string(65, 'a')}) {
    const absl::Status refused = Plan({{"HJ-01", {}, ""}, {"HJ-02", {photo, bad}, ""}}).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(refused.message().find("outcomes[1].photo_refs[1]"), absl::string_view::npos)
        << refused.message();
  }
  EXPECT_TRUE(Plan({{"HJ-02", std::vector<std::string>(9, photo), ""}}).ok());
  EXPECT_EQ(Plan({{"HJ-02", std::vector<std::string>(10, photo), ""}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(InspectionRulesTest, ANoteMustFitTheLedgersReason) {
  // "宅前屋后整洁: " takes 8 of the reason's 500 characters.
  std::string fits;
  for (int i = 0; i < 492; ++i) fits += "净";
  EXPECT_TRUE(Plan({{"HJ-01", {}, fits}}).ok());
  const absl::Status too_long = Plan({{"HJ-01", {}, fits + "净"}}).status();
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("NOTE_TOO_LONG"), std::string::npos);
  EXPECT_NE(too_long.message().find("at most 492 characters"), std::string::npos) << too_long;
}

TEST_F(InspectionRulesTest, CapsCountWhatThePeriodAlreadyMoved) {
  EXPECT_TRUE(Plan({{"HJ-01", {}, ""}}, {{"HJ-01", 10}}).ok());
  EXPECT_EQ(Plan({{"HJ-01", {}, ""}}, {{"HJ-01", 11}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(InspectionRulesTest, RefusesTheFutureAndBadIds) {
  input_.occurred_at = now_ + absl::Hours(1);
  EXPECT_EQ(Plan({{"HJ-01", {}, ""}}).status().code(), absl::StatusCode::kInvalidArgument);
  input_.occurred_at = now_;
  input_.inspection_id = "short";
  EXPECT_EQ(Plan({{"HJ-01", {}, ""}}).status().code(), absl::StatusCode::kInvalidArgument);
  input_.inspection_id = "has spaces in it";
  EXPECT_EQ(Plan({{"HJ-01", {}, ""}}).status().code(), absl::StatusCode::kInvalidArgument);
}

// Microseconds where milliseconds belong (year 58882), or INT64_MAX, reached the rulebook lookup
// and came back as NO_RULEBOOK for a date in the year 58882; seconds (1970) the same. They are
// refused by a check that needs no database, as a date a year ahead already was.
TEST(ValidateOccurredAtTest, ATimeNoRulebookCouldCoverIsRefusedForWhatItIs) {
  const absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 11, 30, 9, 0, 0), ShanghaiTime());
  const int64_t now_ms = absl::ToUnixMillis(now);
  EXPECT_TRUE(ValidateOccurredAt(now_ms, now).ok());
  EXPECT_TRUE(ValidateOccurredAt(now_ms + 5 * 60 * 1000, now).ok());  // a phone's clock skew
  EXPECT_TRUE(
      ValidateOccurredAt(
          absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(2000, 1, 1), ShanghaiTime())), now)
          .ok());
  for (const int64_t future_ms : {now_ms + 5 * 60 * 1000 + 1, int64_t{1795999852945000},
                                  std::numeric_limits<int64_t>::max()}) {
    const absl::Status refused = ValidateOccurredAt(future_ms, now);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << future_ms;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "OCCURRED_IN_FUTURE: occurred_at_ms: "))
        << refused.message();
  }
  EXPECT_TRUE(
      absl::StrContains(ValidateOccurredAt(1795999852945000, now).message(), "in the year 58882"));
  for (const int64_t old_ms : {int64_t{1795999852}, int64_t{1}}) {  // seconds, not milliseconds
    const absl::Status refused = ValidateOccurredAt(old_ms, now);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << old_ms;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "occurred_at_ms: ")) << refused.message();
  }
  for (const int64_t missing_ms : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min()}) {
    EXPECT_TRUE(absl::StartsWith(ValidateOccurredAt(missing_ms, now).message(),
                                 "occurred_at_ms is required"));
  }
}

TEST_F(InspectionRulesTest, RentalItemsApplyToHouseholdsRentingOut) {
  input_.household.rents_out_rooms = true;
  EXPECT_TRUE(Plan({{"CZ-01", {}, ""}}).ok());
}

}  // namespace
}  // namespace jifen::scoring
