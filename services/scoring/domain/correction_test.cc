#include "services/scoring/domain/correction.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

// A reversal's reason is shown to the household; "   " and the full-width spaces of a Chinese
// input method (U+3000) were accepted, because only empty() was checked.
TEST(CorrectionTest, ABlankReasonIsRefusedNamingTheField) {
  for (const char* blank : {"", "   ", "\xE3\x80\x80\xE3\x80\x80", "\t\xC2\xA0\n"}) {
    const absl::Status refused = ValidateCorrection(5, "objection-1", blank);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << blank;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "reason:")) << refused.message();
  }
  EXPECT_TRUE(ValidateCorrection(5, "objection-1", "　录入错误　").ok());
}

TEST(CorrectionTest, TheReasonFitsTheLedgersColumnInCharacters) {
  std::string reason;
  for (int i = 0; i < 500; ++i) reason += "错";
  EXPECT_TRUE(ValidateCorrection(5, "fix-1", reason).ok());
  reason += "错";
  const absl::Status refused = ValidateCorrection(5, "fix-1", reason);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.message(), "REASON_TOO_LONG: reason: at most 500"))
      << refused.message();
}

TEST(CorrectionTest, SequenceAndCorrectionIdAreRequired) {
  EXPECT_EQ(ValidateCorrection(0, "fix-1", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCorrection(5, "", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCorrection(5, std::string(81, 'a'), "x").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jifen::scoring
