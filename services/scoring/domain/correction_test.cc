#include "services/scoring/domain/correction.h"

#include <string>
#include <vector>

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
  EXPECT_TRUE(ValidateCorrection(5, "fix-0001", reason).ok());
  reason += "错";
  const absl::Status refused = ValidateCorrection(5, "fix-0001", reason);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.message(), "REASON_TOO_LONG: reason: at most 500"))
      << refused.message();
}

TEST(CorrectionTest, SequenceAndCorrectionIdAreRequired) {
  EXPECT_EQ(ValidateCorrection(0, "fix-0001", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCorrection(5, "", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCorrection(5, std::string(81, 'a'), "x").code(),
            absl::StatusCode::kInvalidArgument);
}

// "x" was a correction id (any 1..80 bytes): typed by hand, it met another village's "x". It
// follows the rule of inspection, declaration and round ids, naming the field.
TEST(CorrectionTest, TheCorrectionIdIsAClientIdLikeTheOthers) {
  for (const std::string& bad : std::vector<std::string>{
           "x", "fix-1", "objection 17", std::string(65, 'a'), "更正-0000001", "fix/0001"}) {
    const absl::Status refused = ValidateCorrection(5, bad, "录入错误");
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "correction_id must be 8-64 characters"))
        << refused.message();
  }
  for (const std::string& good :
       std::vector<std::string>{"objection-1", "fix_0001", std::string(64, 'a'),
                                "6f1c2a4e-9b7d-4c3e-8a5f-0d2b1e9c7a61"}) {
    EXPECT_TRUE(ValidateCorrection(5, good, "录入错误").ok()) << good;
  }
}

}  // namespace
}  // namespace jifen::scoring
