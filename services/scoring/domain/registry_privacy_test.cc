#include "services/scoring/domain/registry_privacy.h"

#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

TEST(MaskNameTest, KeepsFirstAndLastCharacter) {
  EXPECT_EQ(MaskName("张建华"), "张*华");
  EXPECT_EQ(MaskName("欧阳小明"), "欧**明");
  EXPECT_EQ(MaskName("张三"), "张*");
  EXPECT_EQ(MaskName("张"), "*");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskName("Anna"), "A**a");
  // A character outside the BMP (4 UTF-8 bytes) is one character.
  EXPECT_EQ(MaskName("\xF0\xA0\x80\x80明华"), "\xF0\xA0\x80\x80*华");
}

TEST(MaskPhoneTest, ShowsPrefixAndLastFour) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone(""), "");
  EXPECT_EQ(MaskPhone("12345"), "****2345");
  EXPECT_EQ(MaskPhone("123"), "***");
}

TEST(PhoneTest, MainlandMobile) {
  EXPECT_TRUE(IsMainlandMobile("13812345678"));
  EXPECT_TRUE(IsMainlandMobile("19912345678"));
  EXPECT_FALSE(IsMainlandMobile("12812345678"));  // second digit must be 3-9
  EXPECT_FALSE(IsMainlandMobile("1381234567"));   // 10 digits
  EXPECT_FALSE(IsMainlandMobile("138123456789"));
  EXPECT_FALSE(IsMainlandMobile("1381234567a"));
  EXPECT_FALSE(IsMainlandMobile("23812345678"));
}

TEST(PhoneTest, NormalizesCommonSpellings) {
  EXPECT_EQ(*NormalizePhone("138 1234 5678"), "13812345678");
  EXPECT_EQ(*NormalizePhone("138-1234-5678"), "13812345678");
  EXPECT_EQ(*NormalizePhone("+86 13812345678"), "13812345678");
  EXPECT_EQ(*NormalizePhone("8613812345678"), "13812345678");
  EXPECT_EQ(*NormalizePhone(" 13812345678 "), "13812345678");
  EXPECT_FALSE(NormalizePhone("1.38123E+10").ok());
  EXPECT_FALSE(NormalizePhone("021-64123456").ok());  // a landline
  EXPECT_EQ(NormalizePhone("12345").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CleanNameTest, TrimsAndChecksLength) {
  EXPECT_EQ(*CleanName("  张建华\xE3\x80\x80", "户主"), "张建华");
  EXPECT_FALSE(CleanName("   ", "户主").ok());
  EXPECT_FALSE(CleanName("张\x01华", "户主").ok());
  EXPECT_FALSE(CleanName("\xFF\xFE", "户主").ok());
  std::string long_name;
  for (int i = 0; i < kNameLengthMax; ++i) long_name += "张";
  EXPECT_TRUE(CleanName(long_name, "户主").ok());
  EXPECT_FALSE(CleanName(long_name + "张", "户主").ok());
  EXPECT_NE(CleanName("", "户主").status().message().find("户主"), absl::string_view::npos);
}

TEST(CleanUserIdTest, PrintableAsciiOnly) {
  EXPECT_EQ(*CleanUserId("", "户管家"), "");
  EXPECT_EQ(*CleanUserId(" u-42 ", "户管家"), "u-42");
  EXPECT_FALSE(CleanUserId("u 42", "户管家").ok());
  EXPECT_FALSE(CleanUserId("用户", "户管家").ok());
  EXPECT_FALSE(CleanUserId(std::string(kUserIdLengthMax + 1, 'u'), "户管家").ok());
}

TEST(NormalizeDateTest, AcceptsIsoAndSpreadsheetForms) {
  EXPECT_EQ(*NormalizeDate("2024-03-05"), "2024-03-05");
  EXPECT_EQ(*NormalizeDate("2024/3/5"), "2024-03-05");
  EXPECT_EQ(*NormalizeDate("2024-3-5"), "2024-03-05");
  EXPECT_EQ(*NormalizeDate("2024-02-29"), "2024-02-29");
  EXPECT_FALSE(NormalizeDate("2023-02-29").ok());
  EXPECT_FALSE(NormalizeDate("2024-13-01").ok());
  EXPECT_FALSE(NormalizeDate("2024-00-10").ok());
  EXPECT_FALSE(NormalizeDate("24-03-05").ok());
  EXPECT_FALSE(NormalizeDate("2024年3月5日").ok());
  EXPECT_FALSE(NormalizeDate("").ok());
  EXPECT_FALSE(NormalizeDate("1899-12-31").ok());
  EXPECT_FALSE(NormalizeDate("2024-03-+5").ok());
}

TEST(Utf8LengthTest, CountsCodePointsAndRejectsInvalid) {
  EXPECT_EQ(Utf8Length("abc"), 3);
  EXPECT_EQ(Utf8Length("张三"), 2);
  EXPECT_EQ(Utf8Length("\xC0\x80"), -1);          // overlong NUL
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), -1);      // a surrogate
  EXPECT_EQ(Utf8Length("\xE5\xBC"), -1);          // truncated
  EXPECT_EQ(Utf8Length("\xB7\xE5\xBC\xA0"), -1);  // a stray continuation byte
}

}  // namespace
}  // namespace jifen::scoring
