#include "common/text/text.h"

#include "gtest/gtest.h"

namespace jifen::text {
namespace {

TEST(Utf8LengthTest, CountsCharactersNotBytes) {
  EXPECT_EQ(Utf8Length(""), 0);
  EXPECT_EQ(Utf8Length("abc"), 3);
  EXPECT_EQ(Utf8Length("垃圾分类"), 4);
  EXPECT_EQ(Utf8Length("😀a"), 2);
}

TEST(Utf8LengthTest, RefusesInvalidUtf8) {
  EXPECT_EQ(Utf8Length("\xFF"), -1);
  EXPECT_EQ(Utf8Length("\xE5\x9E"), -1);          // cut short
  EXPECT_EQ(Utf8Length("\xC0\xAF"), -1);          // overlong '/'
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), -1);      // a surrogate
  EXPECT_EQ(Utf8Length("\xF4\x90\x80\x80"), -1);  // above U+10FFFF
}

TEST(Utf8CharactersTest, SplitsIntoCharactersKeepingInvalidBytesApart) {
  EXPECT_EQ(Utf8Characters("张三a"), (std::vector<absl::string_view>{"张", "三", "a"}));
  EXPECT_EQ(Utf8Characters("\xFF张"), (std::vector<absl::string_view>{"\xFF", "张"}));
}

TEST(TrimSpacesTest, RemovesAsciiAndUnicodeSpacesAroundTheText) {
  EXPECT_EQ(TrimSpaces("  \t理由\r\n"), "理由");
  EXPECT_EQ(TrimSpaces("\xE3\x80\x80\xE3\x80\x80理由\xE3\x80\x80"), "理由");
  EXPECT_EQ(TrimSpaces("\xC2\xA0 \xE2\x80\x8B理由\xEF\xBB\xBF "), "理由");
  EXPECT_EQ(TrimSpaces("垃圾\xE3\x80\x80分类"), "垃圾\xE3\x80\x80分类");  // inside stays
}

TEST(IsBlankTest, ATextOfSpacesOfAnyKindIsBlank) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank("   "));
  EXPECT_TRUE(IsBlank("\xE3\x80\x80\xE3\x80\x80"));  // what a Chinese input method types
  EXPECT_TRUE(IsBlank("\xC2\xA0\xE2\x80\x83\n"));
  EXPECT_FALSE(IsBlank("　不合格　"));
  EXPECT_FALSE(IsBlank("x"));
}

TEST(IsLowercaseSha256HexTest, TakesSixtyFourLowercaseHexDigitsOnly) {
  EXPECT_TRUE(IsLowercaseSha256Hex(std::string(64, 'a')));
  EXPECT_TRUE(IsLowercaseSha256Hex(std::string(32, '0') + std::string(32, 'f')));
  EXPECT_FALSE(IsLowercaseSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsLowercaseSha256Hex(std::string(64, 'A')));
  EXPECT_FALSE(IsLowercaseSha256Hex(std::string(60, 'a') + "../x"));
}

TEST(Utf8PrefixTest, CutsBeforeACharacterTheLimitFallsIn) {
  EXPECT_EQ(Utf8Prefix("abc", 10), "abc");
  EXPECT_EQ(Utf8Prefix("abc", 2), "ab");
  // 长 is three bytes: a limit of 4 or 5 keeps one, 6 keeps both.
  EXPECT_EQ(Utf8Prefix("长长长", 4), "长");
  EXPECT_EQ(Utf8Prefix("长长长", 5), "长");
  EXPECT_EQ(Utf8Prefix("长长长", 6), "长长");
  EXPECT_EQ(Utf8Prefix("长", 2), "");
}

}  // namespace
}  // namespace jifen::text
