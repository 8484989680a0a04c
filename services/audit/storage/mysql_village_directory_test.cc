// Who may read which villages, over audit's village directory in MariaDB, filled the way
// RegisterVillage fills it.
#include "services/audit/storage/mysql_village_directory.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/audit/audit_test_support.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/scope.h"
#include "services/audit/domain/supervision.h"
#include "services/audit/storage/mysql_supervision_repository.h"
#include "services/audit/storage/mysql_trail_repository.h"

namespace jifen::audit {
namespace {

auth::Caller CallerOf(auth::Role role, int64_t town = 0, int64_t village = 0) {
  auth::Caller caller;
  caller.user_id = "u";
  caller.role = role;
  caller.town_id = town;
  caller.village_id = village;
  return caller;
}

class VillageDirectoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::AuditDb();
    testing::SetUpAuditDb("village_directory", db_);
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }

  void Register(int64_t village, int64_t town, const std::string& name) {
    auth::Caller scoring = CallerOf(auth::Role::kService);
    scoring.user_id = "scoring";
    const Actor actor{"scoring", "service", "", 1'800'000'000'000};
    absl::StatusOr<VillageInfo> registered =
        supervision_.RegisterVillage(scoring, actor, {village, town, name});
    ASSERT_TRUE(registered.ok()) << registered.status();
  }

  inline static testing::AuditDb* db_ = nullptr;
  OpenSslHasher hasher_;
  MySqlVillageDirectory directory_{*db_->service};
  MySqlSupervisionRepository repository_{*db_->service, hasher_};
  MySqlTrailRepository trail_{*db_->service};
  Supervision supervision_{repository_, directory_, trail_, hasher_,
                           [] { return absl::FromUnixSeconds(1'800'000'000); }};
};

TEST_F(VillageDirectoryTest, EachRoleReadsOnlyItsArea) {
  Register(11, 1, "革新村");
  Register(12, 1, "永联村");
  Register(21, 2, "芦胜村");
  auto district = ReadableVillages(CallerOf(auth::Role::kDistrictInspector), 0, directory_);
  ASSERT_TRUE(district.ok()) << district.status();
  EXPECT_TRUE(district->empty()) << "everything";
  auto town = ReadableVillages(CallerOf(auth::Role::kTownOfficial, 1), 0, directory_);
  ASSERT_TRUE(town.ok()) << town.status();
  EXPECT_EQ(*town, (std::vector<int64_t>{11, 12}));
  EXPECT_EQ(
      ReadableVillages(CallerOf(auth::Role::kTownOfficial, 1), 21, directory_).status().code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReadableVillages(CallerOf(auth::Role::kTownOfficial, 3), 0, directory_).value(),
            (std::vector<int64_t>{-1}))
      << "a town without villages sees nothing, never everything";
  EXPECT_EQ(ReadableVillages(CallerOf(auth::Role::kVillageAdmin, 0, 12), 0, directory_).value(),
            (std::vector<int64_t>{12}));
  EXPECT_EQ(
      ReadableVillages(CallerOf(auth::Role::kVillageAdmin, 0, 12), 11, directory_).status().code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      ReadableVillages(CallerOf(auth::Role::kResident, 0, 12), 12, directory_).status().code(),
      absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace jifen::audit
