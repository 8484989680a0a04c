#include "services/publicity/domain/mask.h"

#include "gtest/gtest.h"

namespace jifen::publicity {
namespace {

TEST(MaskTest, KeepsFirstAndLastCharacter) {
  EXPECT_EQ(MaskName("张三华"), "张*华");
  EXPECT_EQ(MaskName("欧阳小明"), "欧**明");
  EXPECT_EQ(MaskName("张三"), "张*");
  EXPECT_EQ(MaskName("张"), "*");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskName("Li Lei"), "L****i");
}

TEST(MaskTest, IsIdempotent) {
  for (const char* name : {"张三华", "欧阳小明", "张三", "张"}) {
    const std::string once = MaskName(name);
    EXPECT_EQ(MaskName(once), once) << name;
  }
}

TEST(MaskTest, InvalidUtf8NeverLeaksWholeName) {
  const std::string masked = MaskName("\xe5\xbc\xa0\xff\xfe");
  EXPECT_EQ(masked, "\xe5\xbc\xa0*\xfe");
}

}  // namespace
}  // namespace jifen::publicity
