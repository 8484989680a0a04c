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

TEST(StatusConversionTest, OkIsOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace jifen::grpc_util
