#include "services/publicity/storage/board_page_cache.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace jifen::publicity {
namespace {

BoardPage PageWithTop(int64_t household_id, int64_t points) {
  BoardPage page;
  page.rows.push_back(RankedRow{household_id, points, 1, 7});
  page.households = 1;
  return page;
}

PageId FirstPage(const std::string& board, int page_size = 50) {
  return PageId{board, std::nullopt, page_size};
}

TEST(BoardPageCacheTest, ServesAPageOnlyUnderTheVersionItWasStoredWith) {
  BoardPageCache cache;
  EXPECT_FALSE(cache.Find(FirstPage("b"), "10").has_value());
  cache.Store(FirstPage("b"), "10", PageWithTop(101, 9));

  std::optional<BoardPage> hit = cache.Find(FirstPage("b"), "10");
  ASSERT_TRUE(hit.has_value());
  ASSERT_EQ(hit->rows.size(), 1u);
  EXPECT_EQ(hit->rows[0].household_id, 101);
  EXPECT_EQ(hit->rows[0].points, 9);
  EXPECT_FALSE(cache.Find(FirstPage("b"), "11").has_value());
  EXPECT_FALSE(cache.Find(FirstPage("b"), "1").has_value());

  cache.Store(FirstPage("b"), "11", PageWithTop(102, 12));
  EXPECT_FALSE(cache.Find(FirstPage("b"), "10").has_value());
  ASSERT_TRUE(cache.Find(FirstPage("b"), "11").has_value());
  EXPECT_EQ(cache.Find(FirstPage("b"), "11")->rows[0].household_id, 102);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(BoardPageCacheTest, AMissingVersionNeverMatches) {
  BoardPageCache cache;
  cache.Store(FirstPage("b"), "", PageWithTop(101, 9));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Find(FirstPage("b"), "").has_value());
  cache.Store(FirstPage("b"), "5", PageWithTop(101, 9));
  EXPECT_FALSE(cache.Find(FirstPage("b"), "").has_value());
}

TEST(BoardPageCacheTest, BoardPageSizeAndPagePositionAreDistinctPages) {
  BoardPageCache cache;
  cache.Store(FirstPage("b"), "3", PageWithTop(1, 1));
  cache.Store(FirstPage("g"), "3", PageWithTop(2, 2));
  cache.Store(FirstPage("b", 10), "3", PageWithTop(3, 3));
  cache.Store(PageId{"b", PageCursor{5, 40}, 50}, "3", PageWithTop(4, 4));
  cache.Store(PageId{"b", PageCursor{5, 41}, 50}, "3", PageWithTop(5, 5));
  EXPECT_EQ(cache.size(), 5u);
  EXPECT_EQ(cache.Find(FirstPage("b"), "3")->rows[0].household_id, 1);
  EXPECT_EQ(cache.Find(FirstPage("g"), "3")->rows[0].household_id, 2);
  EXPECT_EQ(cache.Find(FirstPage("b", 10), "3")->rows[0].household_id, 3);
  EXPECT_EQ(cache.Find(PageId{"b", PageCursor{5, 40}, 50}, "3")->rows[0].household_id, 4);
  EXPECT_EQ(cache.Find(PageId{"b", PageCursor{5, 41}, 50}, "3")->rows[0].household_id, 5);
  EXPECT_FALSE(cache.Find(PageId{"b", PageCursor{6, 40}, 50}, "3").has_value());
}

TEST(BoardPageCacheTest, HoldsAtMostItsBoundDroppingTheOldestFirst) {
  BoardPageCache cache(/*pages_max=*/4);
  for (int i = 0; i < 10; ++i) {
    cache.Store(FirstPage(absl::StrCat("b", i)), "1", PageWithTop(i, i));
    EXPECT_LE(cache.size(), 4u);
  }
  for (int i = 0; i < 6; ++i)
    EXPECT_FALSE(cache.Find(FirstPage(absl::StrCat("b", i)), "1").has_value());
  for (int i = 6; i < 10; ++i)
    EXPECT_TRUE(cache.Find(FirstPage(absl::StrCat("b", i)), "1").has_value());
  // A new version of a page already held takes its place and pushes nothing out.
  cache.Store(FirstPage("b9"), "2", PageWithTop(9, 10));
  EXPECT_EQ(cache.size(), 4u);
  for (int i = 6; i < 9; ++i)
    EXPECT_TRUE(cache.Find(FirstPage(absl::StrCat("b", i)), "1").has_value());
}

TEST(BoardPageCacheTest, ConcurrentReadersAndWritersSeeWholePagesOfTheirVersion) {
  BoardPageCache cache(/*pages_max=*/8);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        for (int version = 1; version <= 50; ++version) {
          std::optional<BoardPage> page = cache.Find(FirstPage("b"), absl::StrCat(version));
          // Every page stored under version v has v as its top household and its points.
          if (page.has_value() && (page->rows.size() != 1 || page->rows[0].points != version ||
                                   page->rows[0].household_id != version)) {
            ++torn;
          }
        }
      }
    });
  }
  for (int version = 1; version <= 50; ++version) {
    for (int other = 0; other < 20; ++other) {
      cache.Store(FirstPage(absl::StrCat("o", other)), absl::StrCat(version), BoardPage());
    }
    cache.Store(FirstPage("b"), absl::StrCat(version), PageWithTop(version, version));
  }
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_LE(cache.size(), 8u);
}

}  // namespace
}  // namespace jifen::publicity
