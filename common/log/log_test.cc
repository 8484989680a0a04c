#include "common/log/log.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jifen::log {
namespace {

using ::testing::HasSubstr;

// Captures lines through SetSinkForTest and restores stderr and the defaults afterwards.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetServiceName("scoring");
    SetMinLevel(Level::kInfo);
    SetSinkForTest([this](std::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    });
  }
  void TearDown() override {
    SetSinkForTest(nullptr);
    SetMinLevel(Level::kInfo);
  }

  std::vector<std::string> Lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

absl::Time FixedTime() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 29, 11, 44, 19),
                         absl::FixedTimeZone(8 * 3600)) +
         absl::Milliseconds(123);
}

TEST(FormatLineTest, FixedKeysInOrderWithOffsetTimestamp) {
  const std::string line = FormatLine(Level::kInfo, FixedTime(), absl::FixedTimeZone(8 * 3600),
                                      "scoring", "started", {{"port", "50051"}});
  EXPECT_EQ(line, R"({"ts":"2026-11-29T11:44:19.123+08:00","level":"info","service":"scoring",)"
                  R"("msg":"started","port":"50051"})");
}

TEST(FormatLineTest, EscapesQuotesNewlinesAndKeepsChinese) {
  const std::string message = "say \"hi\"\nback\\slash\ttab";
  const std::string chinese = "积分兑换：张三家庭";
  const std::string line =
      FormatLine(Level::kWarning, FixedTime(), absl::UTCTimeZone(), "scoring", message,
                 {{"household", chinese}, {"key \"q\"", "line1\nline2\r\x01"}});

  // One physical line, Chinese written as UTF-8 rather than \u escapes.
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_THAT(line, HasSubstr(R"("msg":"say \"hi\"\nback\\slash\ttab")"));
  EXPECT_THAT(line, HasSubstr("\"household\":\"" + chinese + "\""));
  EXPECT_THAT(line, HasSubstr(R"("key \"q\"":"line1\nline2\r\u0001")"));
  EXPECT_THAT(line, HasSubstr(R"("ts":"2026-11-29T03:44:19.123+00:00")"));

  // And it round-trips through a JSON parser.
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "warning");
  EXPECT_EQ(parsed["msg"], message);
  EXPECT_EQ(parsed["household"], chinese);
  EXPECT_EQ(parsed["key \"q\""], "line1\nline2\r\x01");
}

TEST(FormatLineTest, InvalidUtf8IsReplacedNotThrown) {
  const std::string line = FormatLine(Level::kError, FixedTime(), absl::UTCTimeZone(), "svc",
                                      std::string("bad \xff\xfe byte"), {});
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
}

TEST(FormatLineTest, FieldCannotOverwriteFixedKeys) {
  const std::string line = FormatLine(Level::kInfo, FixedTime(), absl::UTCTimeZone(), "svc", "m",
                                      {{"msg", "other"}, {"level", "error"}});
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], "m");
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["field.msg"], "other");
  EXPECT_EQ(parsed["field.level"], "error");
}

TEST_F(LogTest, WritesServiceMessageAndFields) {
  Info("order confirmed", {{"order_id", "o-1"}, {"amount_fen", "1500"}});
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json parsed = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["service"], "scoring");
  EXPECT_EQ(parsed["msg"], "order confirmed");
  EXPECT_EQ(parsed["order_id"], "o-1");
  EXPECT_EQ(parsed["amount_fen"], "1500");
  EXPECT_TRUE(parsed["ts"].is_string());
}

TEST_F(LogTest, MinLevelFiltersAndParses) {
  Debug("hidden");
  ASSERT_TRUE(SetMinLevel("DEBUG").ok());
  EXPECT_EQ(MinLevel(), Level::kDebug);
  Debug("shown");
  ASSERT_TRUE(SetMinLevel("error").ok());
  Warning("hidden too");
  Error("shown too");

  const absl::Status bad = SetMinLevel("verbose");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MinLevel(), Level::kError);  // unchanged by bad input

  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["msg"], "shown");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "error");
}

TEST_F(LogTest, ConcurrentLinesStayWhole) {
  constexpr int kThreads = 4;
  constexpr int kLinesPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kLinesPerThread; ++i) {
        Info("tick", {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLinesPerThread));
  for (const std::string& line : lines) {
    EXPECT_EQ(nlohmann::json::parse(line)["msg"], "tick");
  }
}

}  // namespace
}  // namespace jifen::log
