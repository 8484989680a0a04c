#include "services/audit/domain/village_feed.h"

#include "gtest/gtest.h"

namespace jifen::audit {
namespace {

TrailRecord CreateVillage(const std::string& after) {
  TrailRecord record;
  record.source_service = "scoring";
  record.action = "create_village";
  record.object_type = "village";
  record.object_id = "12";
  record.after = after;
  return record;
}

TEST(VillageFromRecord, ReadsScoringsCreateVillage) {
  std::optional<VillageInfo> village = VillageFromRecord(CreateVillage("town_id=3 name=革新 村"));
  ASSERT_TRUE(village.has_value());
  EXPECT_EQ(village->village_id, 12);
  EXPECT_EQ(village->town_id, 3);
  EXPECT_EQ(village->name, "革新 村");
}

TEST(VillageFromRecord, IgnoresOtherRecordsAndOtherSources) {
  TrailRecord other = CreateVillage("town_id=3 name=x");
  other.source_service = "publicity";
  EXPECT_FALSE(VillageFromRecord(other).has_value());
  other = CreateVillage("town_id=3 name=x");
  other.action = "create_group";
  EXPECT_FALSE(VillageFromRecord(other).has_value());
}

TEST(VillageFromRecord, IgnoresUnreadableState) {
  EXPECT_FALSE(VillageFromRecord(CreateVillage("sha256:abcd")).has_value());
  EXPECT_FALSE(VillageFromRecord(CreateVillage("town_id=x name=y")).has_value());
  EXPECT_FALSE(VillageFromRecord(CreateVillage("town_id=0 name=y")).has_value());
}

}  // namespace
}  // namespace jifen::audit
