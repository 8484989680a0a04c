#include "common/audit/state_digest.h"

#include <gtest/gtest.h>

#include <string>

namespace jifen::audit {
namespace {

TEST(StateDigestTest, ShortTextStaysText) {
  EXPECT_EQ(StateDigest(""), "");
  EXPECT_EQ(StateDigest(R"({"username":"gexin.admin","disabled":false})"),
            R"({"username":"gexin.admin","disabled":false})");
  const std::string at_limit(kMaxInlineStateBytes, 'x');
  EXPECT_EQ(StateDigest(at_limit), at_limit);
}

TEST(StateDigestTest, LongStatesAreHashed) {
  const std::string digest = StateDigest(std::string(kMaxInlineStateBytes + 1, 'x'));
  EXPECT_EQ(digest.size(), 7u + 64u);
  EXPECT_EQ(digest.rfind("sha256:", 0), 0u) << digest;
  EXPECT_NE(digest, StateDigest(std::string(kMaxInlineStateBytes + 2, 'x')));
}

TEST(StateDigestTest, AFiveHundredCharacterReasonStaysReadable) {
  std::string reason;
  for (int i = 0; i < 500; ++i) reason += "补";
  const std::string state = "stock=12 reason=" + reason;
  EXPECT_EQ(StateDigest(state), state);
}

TEST(StateDigestTest, StatesWithControlBytesOrInvalidUtf8AreHashed) {
  EXPECT_EQ(StateDigest("a\tb").rfind("sha256:", 0), 0u);
  EXPECT_EQ(StateDigest("reason=\xE9\x95").rfind("sha256:", 0), 0u);  // 长 cut in two
  EXPECT_EQ(StateDigest("line one\nline two"), "line one\nline two");
}

TEST(StateDigestTest, StatesWithNulBytesAreHashedWithSha256) {
  // printf 'abc\0' | sha256sum
  EXPECT_EQ(StateDigest(std::string("abc\0", 4)),
            "sha256:dc1114cd074914bd872cc1f9a23ec910ea2203bc79779ab2e17da25782a624fc");
}

}  // namespace
}  // namespace jifen::audit
