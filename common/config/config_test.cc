#include "common/config/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ValidatorTest, NamesEveryBadSettingWithItsEnvironmentVariable) {
  Validator validator;
  validator.RequireHostPort("listen", "localhost");
  validator.RequirePort("mysql_port", 70000);
  validator.RequireNonEmpty("mysql_user", "");
  validator.RequireReadableFile("token_public_key", "/nonexistent/key.pem");
  const absl::Status status = validator.status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("--listen (or JIFEN_LISTEN)"), HasSubstr("70000"),
                    HasSubstr("JIFEN_MYSQL_USER"), HasSubstr("/nonexistent/key.pem")));
}

TEST(ValidatorTest, GoodValuesPass) {
  Validator validator;
  validator.RequireHostPort("listen", "127.0.0.1:0");
  validator.RequireHostPort("listen", "[::1]:50051");
  validator.RequirePort("mysql_port", 3306);
  validator.RequireRange("threads", 8, 1, 64);
  validator.RequireDirectory("tmp", "/tmp");
  EXPECT_TRUE(validator.status().ok());
}

TEST(ValidatorTest, ExitsWithCodeTwoNamingTheSetting) {
  Validator validator;
  validator.RequirePort("redis_port", 0);
  EXPECT_EXIT(validator.ExitIfInvalid(), ::testing::ExitedWithCode(2), "JIFEN_REDIS_PORT");
}

}  // namespace
}  // namespace jifen::config
