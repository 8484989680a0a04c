#include "services/scoring/domain/registry_household.h"

#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

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
  absl::StatusOr<HouseholdWithMembers> clean = CleanHouseholdDraft(Draft());
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->household.record.house_number, "12号");
  ASSERT_EQ(clean->members.size(), 2u);
  EXPECT_EQ(clean->members[0].phone, "13812345678");
  EXPECT_TRUE(clean->members[0].is_head);
  EXPECT_FALSE(clean->members[1].is_head);
  EXPECT_EQ(clean->members[1].phone, "");
}

TEST(CleanHouseholdDraftTest, NonRegisteredNeedsConsentDate) {
  HouseholdDraft draft = Draft();
  draft.registered = false;
  EXPECT_EQ(CleanHouseholdDraft(draft).status().code(), absl::StatusCode::kInvalidArgument);
  draft.consent_date = "2024/5/1";
  absl::StatusOr<HouseholdWithMembers> clean = CleanHouseholdDraft(draft);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->household.consent_date, "2024-05-01");
  EXPECT_FALSE(clean->household.record.registered);
}

TEST(CleanHouseholdDraftTest, RefusesBadInput) {
  HouseholdDraft no_kind = Draft();
  no_kind.registered.reset();
  EXPECT_FALSE(CleanHouseholdDraft(no_kind).ok());
  HouseholdDraft bad_phone = Draft();
  bad_phone.members[1].phone = "12345678901";
  EXPECT_FALSE(CleanHouseholdDraft(bad_phone).ok());
  HouseholdDraft twins = Draft();
  twins.members[1].name = "张建华";
  EXPECT_FALSE(CleanHouseholdDraft(twins).ok());
  HouseholdDraft two_heads = Draft();
  two_heads.members[0].is_head = two_heads.members[1].is_head = true;
  EXPECT_FALSE(CleanHouseholdDraft(two_heads).ok());
  HouseholdDraft no_group = Draft();
  no_group.group_id = 0;
  EXPECT_FALSE(CleanHouseholdDraft(no_group).ok());
  HouseholdDraft crowded = Draft();
  crowded.members.clear();
  for (int i = 0; i <= kMembersPerHouseholdMax; ++i) {
    crowded.members.push_back({"成员" + std::to_string(i), "", false, ""});
  }
  EXPECT_FALSE(CleanHouseholdDraft(crowded).ok());
}

}  // namespace
}  // namespace jifen::scoring
