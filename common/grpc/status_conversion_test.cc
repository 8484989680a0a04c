#include "common/grpc/status_conversion.h"

#include "gtest/gtest.h"

namespace jifen::grpc_util {
namespace {

TEST(StatusConversionTest, KeepsCodeAndMessageOfCallerErrors) {
  const grpc::Status status =
      ToGrpcStatus(absl::FailedPreconditionError("wallet has 40 points, order needs 60"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "wallet has 40 points, order needs 60");
}

TEST(StatusConversionTest, EveryCodeMapsToTheSameNumber) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status status(static_cast<absl::StatusCode>(code), "m");
    EXPECT_EQ(static_cast<int>(ToGrpcStatus(status).error_code()), code);
    EXPECT_EQ(FromGrpcStatus(ToGrpcStatus(status)).code(), status.code());
  }
}

TEST(StatusConversionTest, InternalDetailsNeverLeak) {
  for (const absl::Status& status :
       {absl::InternalError("Table 'jifen_scoring.ledger' doesn't exist at 10.0.0.5:3306"),
        absl::UnknownError("SELECT * FROM member"), absl::DataLossError("checksum")}) {
    const grpc::Status converted = ToGrpcStatus(status, "req-7");
    EXPECT_EQ(converted.error_message(), "internal error (request req-7)");
  }
}

// A service that quotes a 100 KB request value in its refusal must still arrive as that refusal:
// over gRPC's 8 KiB metadata limit the client would see RESOURCE_EXHAUSTED (the gateway's 429).
TEST(StatusConversionTest, LongMessagesAreCutAtACharacterBoundary) {
  std::string value;
  for (int i = 0; i < 30000; ++i) value += "长";
  const grpc::Status converted =
      ToGrpcStatus(absl::InvalidArgumentError("date: \"" + value + "\" is not a date"));
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(converted.error_message().size(), 1024u + 3);
  EXPECT_TRUE(converted.error_message().rfind("date: \"长长", 0) == 0) << converted.error_message();
  // Whole characters only, then the ellipsis.
  const std::string& text = converted.error_message();
  ASSERT_GE(text.size(), 3u);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
  EXPECT_EQ((text.size() - 3 - std::string("date: \"").size()) % 3, 0u);
  // Short messages are untouched.
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError(std::string(1024, 'x'))).error_message(),
            std::string(1024, 'x'));
}

TEST(StatusConversionTest, OkIsOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace jifen::grpc_util
