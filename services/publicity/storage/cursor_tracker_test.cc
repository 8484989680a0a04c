// CursorTracker against the fixture's real redis-server: what it serves from memory is never a
// value Redis has told it is gone, and after a lost connection it serves nothing from before.
#include "services/publicity/storage/cursor_tracker.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::publicity {
namespace {

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

class CursorTrackerTest : public ::testing::Test {
 protected:
  CursorTrackerTest()
      : redis_(jifen::testing::TestRedisConfig()),
        prefix_(jifen::testing::FreshRedisPrefix()),
        name_(absl::StrCat("cursor-tracker-test-", prefix_.substr(0, prefix_.size() - 1))),
        tracker_(Options()) {}

  CursorTrackerOptions Options() const {
    CursorTrackerOptions options;
    options.redis = jifen::testing::TestRedisConfig();
    options.client_name = name_;
    options.heartbeat = absl::Milliseconds(200);
    options.reconnect_delay = absl::Milliseconds(20);
    return options;
  }

  void SetUp() override {
    ASSERT_TRUE(Eventually([&] { return tracker_.tracking(); })) << "tracking never started";
  }

  std::string Key(const std::string& name) const { return absl::StrCat(prefix_, name); }

  void Set(const std::string& key, const std::string& value) {
    ASSERT_TRUE(redis_.Command({"SET", key, value}).ok());
  }

  // Closes this tracker's connection of `role` ("listener" or "tracker") from the server side.
  void KillConnection(const std::string& role) {
    absl::StatusOr<redis::Reply> list = redis_.Command({"CLIENT", "LIST"});
    ASSERT_TRUE(list.ok()) << list.status();
    const std::string wanted = absl::StrCat(" name=", name_, ":", role, " ");
    for (absl::string_view line : absl::StrSplit(list->str, '\n')) {
      if (!absl::StrContains(line, wanted)) continue;
      absl::string_view id = line.substr(3, line.find(' ') - 3);  // "id=<n> ..."
      ASSERT_TRUE(redis_.Command({"CLIENT", "KILL", "ID", std::string(id)}).ok());
      return;
    }
    FAIL() << "no " << role << " connection in CLIENT LIST";
  }

  redis::RedisClient redis_;  // another client, changing keys behind the tracker's back
  const std::string prefix_;
  const std::string name_;
  CursorTracker tracker_;
};

TEST_F(CursorTrackerTest, ServesFromMemoryUntilRedisSaysTheKeyChanged) {
  const std::string key = Key("{v1}:c");
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>(""));  // absent
  Set(key, "5");
  ASSERT_TRUE(tracker_.Sync().ok());
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("5"));
  const int64_t hits = tracker_.hits();
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("5"));
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("5"));
  EXPECT_EQ(tracker_.hits(), hits + 2) << "an unchanged key is read from memory";

  Set(key, "6");
  ASSERT_TRUE(tracker_.Sync().ok());
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("6"));
  ASSERT_TRUE(redis_.Command({"DEL", key}).ok());
  ASSERT_TRUE(tracker_.Sync().ok());
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>(""));
}

TEST_F(CursorTrackerTest, ForgetMakesTheNextReadGoToRedis) {
  const std::string key = Key("{v2}:c");
  Set(key, "1");
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("1"));
  Set(key, "2");
  // Without waiting for the invalidation: the writer's own process forgets the key itself.
  tracker_.Forget(key);
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("2"));
  Set(key, "3");
  tracker_.ForgetAll();
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("3"));
}

TEST_F(CursorTrackerTest, ReadersNeverGoBackwardsAndEndOnTheLastValue) {
  constexpr int kReaders = 4;
  constexpr int kWrites = 2000;
  const std::string key = Key("{v3}:c");
  Set(key, "0");
  std::atomic<bool> writing{true};
  std::atomic<int> went_backwards{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      int64_t last = 0;
      while (writing.load()) {
        const std::optional<std::string> value = tracker_.Value(key);
        int64_t seen = 0;
        if (!value.has_value() || !absl::SimpleAtoi(*value, &seen)) continue;
        if (seen < last) ++went_backwards;
        last = seen;
      }
    });
  }
  for (int i = 1; i <= kWrites; ++i) {
    ASSERT_TRUE(redis_.Command({"SET", key, absl::StrCat(i)}).ok());
  }
  writing = false;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(went_backwards.load(), 0);
  ASSERT_TRUE(tracker_.Sync().ok());
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>(absl::StrCat(kWrites)));
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>(absl::StrCat(kWrites)));
}

TEST_F(CursorTrackerTest, ALostListenerServesNothingFromBefore) {
  const std::string key = Key("{v4}:c");
  Set(key, "1");
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("1"));
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("1"));
  KillConnection("listener");
  // Redis has nowhere to send this change's invalidation.
  Set(key, "2");
  ASSERT_TRUE(Eventually([&] { return tracker_.sessions() >= 2 && tracker_.tracking(); }));
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("2"));
  Set(key, "3");
  ASSERT_TRUE(tracker_.Sync().ok());
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("3")) << "tracked again";
}

TEST_F(CursorTrackerTest, ALostTrackerConnectionServesNothingFromBefore) {
  const std::string key = Key("{v5}:c");
  Set(key, "1");
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("1"));
  KillConnection("tracker");
  // Redis forgot what the killed connection read: no invalidation for this change.
  Set(key, "2");
  ASSERT_TRUE(Eventually([&] { return tracker_.sessions() >= 2 && tracker_.tracking(); }));
  EXPECT_EQ(tracker_.Value(key), std::optional<std::string>("2"));
}

TEST(CursorTrackerWithoutRedisTest, AnswersNothingAndStopsPromptly) {
  CursorTrackerOptions options;
  options.redis.host = "127.0.0.1";
  options.redis.port = 1;  // nobody listens there
  options.reconnect_delay = absl::Milliseconds(10);
  CursorTracker tracker(options);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(tracker.tracking());
  EXPECT_EQ(tracker.Value("any"), std::nullopt);
  EXPECT_FALSE(tracker.Sync(absl::Milliseconds(10)).ok());
}

}  // namespace
}  // namespace jifen::publicity
