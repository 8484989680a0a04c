#include "services/scoring/domain/registry_household.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

constexpr char kToday[] = "2026-03-15";  // Shanghai

HouseholdDraft Draft() {
  HouseholdDraft draft;
  draft.village_id = 1;
  draft.group_id = 2;
  draft.house_number = " 12号 ";
  draft.head_name = "张建华";
  draft.registered = true;
  draft.members = {{"张建华", "138 1234 5678", false, ""}, {"李梅", "", false, "grid-7"}};
  return draft;
}

TEST(CleanHouseholdDraftTest, CleansAndMarksTheHead) {
  absl::StatusOr<HouseholdWithMembers> clean = CleanHouseholdDraft(Draft(), kToday);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->household.record.house_number, "12号");
  ASSERT_EQ(clean->members.size(), 2u);
  EXPECT_EQ(clean->members[0].phone, "13812345678");
  EXPECT_TRUE(clean->members[0].is_head);
  EXPECT_FALSE(clean->members[1].is_head);
  EXPECT_EQ(clean->members[1].phone, "");
}

// With no member marked, the head is the member of the head's name, letter case aside.
TEST(CleanHouseholdDraftTest, TheHeadIsFoundWhateverTheCaseOfItsName) {
  HouseholdDraft draft = Draft();
  draft.head_name = "Tom Li";
  draft.members = {{"ann", "", false, ""}, {"tom li", "", false, ""}};
  absl::StatusOr<HouseholdWithMembers> clean = CleanHouseholdDraft(draft, kToday);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_FALSE(clean->members[0].is_head);
  EXPECT_TRUE(clean->members[1].is_head);
}

TEST(CleanHouseholdDraftTest, NonRegisteredNeedsConsentDate) {
  HouseholdDraft draft = Draft();
  draft.registered = false;
  EXPECT_EQ(CleanHouseholdDraft(draft, kToday).status().code(), absl::StatusCode::kInvalidArgument);
  draft.consent_date = "2024/5/1";
  absl::StatusOr<HouseholdWithMembers> clean = CleanHouseholdDraft(draft, kToday);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->household.consent_date, "2024-05-01");
  EXPECT_FALSE(clean->household.record.registered);
}

TEST(CleanHouseholdDraftTest, RefusesBadInput) {
  HouseholdDraft no_kind = Draft();
  no_kind.registered.reset();
  EXPECT_FALSE(CleanHouseholdDraft(no_kind, kToday).ok());
  HouseholdDraft bad_phone = Draft();
  bad_phone.members[1].phone = "12345678901";
  EXPECT_FALSE(CleanHouseholdDraft(bad_phone, kToday).ok());
  HouseholdDraft twins = Draft();
  twins.members[1].name = "张建华";
  EXPECT_FALSE(CleanHouseholdDraft(twins, kToday).ok());
  HouseholdDraft two_heads = Draft();
  two_heads.members[0].is_head = two_heads.members[1].is_head = true;
  EXPECT_FALSE(CleanHouseholdDraft(two_heads, kToday).ok());
  HouseholdDraft no_group = Draft();
  no_group.group_id = 0;
  EXPECT_FALSE(CleanHouseholdDraft(no_group, kToday).ok());
  HouseholdDraft crowded = Draft();
  crowded.members.clear();
  for (int i = 0; i <= kMembersPerHouseholdMax; ++i) {
    crowded.members.push_back({"成员" + std::to_string(i), "", false, ""});
  }
  EXPECT_FALSE(CleanHouseholdDraft(crowded, kToday).ok());
}

// Consent is recorded after it was given: a date after today (Shanghai) was stored as typed.
TEST(CleanHouseholdDraftTest, AConsentDateAfterTodayIsRefused) {
  HouseholdDraft draft = Draft();
  draft.registered = false;
  draft.consent_date = "2030-01-01";
  const absl::Status future = CleanHouseholdDraft(draft, kToday).status();
  EXPECT_EQ(future.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(future.message(), "household.consent_date: ")) << future;
  draft.consent_date = "2026-03-16";
  EXPECT_FALSE(CleanHouseholdDraft(draft, kToday).ok());
  draft.consent_date = "2026-03-15";
  EXPECT_TRUE(CleanHouseholdDraft(draft, kToday).ok());
}

// The database compares member names without ASCII letter case: "Tom" and "tom" failed at the
// insert as a duplicate key, reported as the house number being taken.
TEST(CleanHouseholdDraftTest, MemberNamesDifferingOnlyInCaseAreTwins) {
  HouseholdDraft draft = Draft();
  draft.members = {{"Tom", "", false, ""}, {"tom", "", false, ""}};
  const absl::Status twins = CleanHouseholdDraft(draft, kToday).status();
  EXPECT_EQ(twins.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(twins.message(), "members[1].name: ")) << twins;
}

// Every refusal is led by the request field it is about, so that the gateway names it.
TEST(CleanHouseholdDraftTest, RefusalsNameTheirField) {
  std::vector<std::pair<HouseholdDraft, std::string>> cases;
  HouseholdDraft draft = Draft();
  draft.group_id = 0;
  cases.push_back({draft, "household.group_id: "});
  draft = Draft();
  draft.registered.reset();
  cases.push_back({draft, "household.kind: "});
  draft = Draft();
  draft.house_number = " ";
  cases.push_back({draft, "household.house_number: "});
  draft = Draft();
  draft.head_name.clear();
  cases.push_back({draft, "household.head_name: "});
  draft = Draft();
  draft.registered = false;
  cases.push_back({draft, "household.consent_date: "});
  draft.consent_date = "2026-02-30";
  cases.push_back({draft, "household.consent_date: "});
  draft = Draft();
  draft.members[1].phone = "12345678901";
  cases.push_back({draft, "members[1].phone: "});
  draft = Draft();
  draft.members[0].is_head = draft.members[1].is_head = true;
  cases.push_back({draft, "members[1].is_head: "});
  draft = Draft();
  draft.members[1].staff_user_id = "has space";
  cases.push_back({draft, "members[1].staff_user_id: "});
  for (const auto& [bad, field] : cases) {
    const absl::Status refused = CleanHouseholdDraft(bad, kToday).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_TRUE(absl::StartsWith(refused.message(), field)) << refused;
  }
}

}  // namespace
}  // namespace jifen::scoring
