#include "services/scoring/storage/mysql_personal_data_views.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/audit/state_digest.h"
#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

const RegistryActor kAdmin{"admin-7", "village_admin"};

TEST(PersonalDataViewAuditTest, OneHouseholdNamesItsMembersByIdOnly) {
  FullPersonalDataView view;
  view.village_id = 7;
  view.rpc = "GetHousehold";
  view.token_id = "jti-1";
  view.household_id = 42;
  view.member_ids = {103, 101, 102, 110};
  const audit::AuditFacts facts = PersonalDataViewAudit(kAdmin, view);
  EXPECT_EQ(facts.village_id, 7);
  EXPECT_EQ(facts.actor_user_id, "admin-7");
  EXPECT_EQ(facts.actor_role, "village_admin");
  EXPECT_EQ(facts.action, "view_personal_data");
  EXPECT_EQ(facts.object_type, "household");
  EXPECT_EQ(facts.object_id, "42");
  EXPECT_EQ(facts.before, "");
  EXPECT_EQ(facts.after,
            "rpc=GetHousehold fields=head_name,member_names,phones token=jti-1 members=4 "
            "first=101 last=110 ids=101-103,110");
}

TEST(PersonalDataViewAuditTest, APageOfAVillageNamesTheQueryAndTheHouseholdsShown) {
  FullPersonalDataView view;
  view.village_id = 7;
  view.rpc = "ListHouseholds";
  view.token_id = "jti-2";
  view.grid_id = 3;
  for (int64_t id = 1000; id < 1500; ++id) view.household_ids.push_back(id);
  const audit::AuditFacts facts = PersonalDataViewAudit(kAdmin, view);
  EXPECT_EQ(facts.object_type, "village");
  EXPECT_EQ(facts.object_id, "7");
  EXPECT_EQ(facts.after,
            "rpc=ListHouseholds fields=head_name token=jti-2 group=0 grid=3 households=500 "
            "first=1000 last=1499 ids=1000-1499");
}

TEST(PersonalDataViewAuditTest, IdsThatDoNotFitAreCutAndTheStateStaysText) {
  FullPersonalDataView view;
  view.village_id = 7;
  view.rpc = "ListHouseholds";
  for (int64_t id = 100000; id < 100000 + 2 * 1000; id += 2) view.household_ids.push_back(id);
  const std::string after = PersonalDataViewAudit(kAdmin, view).after;
  EXPECT_LE(after.size(), audit::kMaxInlineStateBytes);
  EXPECT_FALSE(absl::StartsWith(after, "sha256:"));
  EXPECT_TRUE(
      absl::StrContains(after, "households=1000 first=100000 last=101998 ids=100000,100002,"));
  EXPECT_TRUE(absl::EndsWith(after, "…"));
}

}  // namespace
}  // namespace jifen::scoring
