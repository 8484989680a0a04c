#include "services/gateway/storage/photo_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "tests/support/test_images.h"

namespace jifen::gateway {
namespace {

std::string Png() { return testing::TestPng(); }

TEST(PhotoStoreTest, SniffsByContentNotName) {
  EXPECT_EQ(SniffImageType(std::string("\xFF\xD8\xFF\xE0", 4) + "jfif"), "image/jpeg");
  EXPECT_EQ(SniffImageType(Png()), "image/png");
  EXPECT_EQ(SniffImageType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(SniffImageType("<svg onload=alert(1)>"), "");
  EXPECT_EQ(SniffImageType("GIF89a"), "");
  EXPECT_EQ(SniffImageType(""), "");
}

TEST(PhotoStoreTest, StoresOnceByContentAndServesBack) {
  char folder_template[] = "/tmp/gateway-photos-XXXXXX";
  const std::string folder = mkdtemp(folder_template);
  PhotoStore store(folder, 1024);
  auto first = store.Put(Png());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->photo_ref.size(), 64u);
  EXPECT_EQ(first->content_type, "image/png");
  auto second = store.Put(Png());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->photo_ref, first->photo_ref);
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    files += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(*store.Get(first->photo_ref), Png());
  EXPECT_EQ(store.Get("../../etc/passwd").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Get(std::string(64, 'a')).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Put("not an image").status().code(), absl::StatusCode::kInvalidArgument);
  // Only a whole image is stored: the first bytes of a PNG are not enough.
  const std::string fake_png = std::string("\x89PNG\r\n\x1a\n", 8) + "rest-of-png";
  auto fake = store.Put(fake_png);
  EXPECT_EQ(fake.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(fake.status().message(), "IMAGE_DAMAGED:")) << fake.status();
  files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    files += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(store.Put(Png() + std::string(2000, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(folder);
}

// Phones append data after a JPEG's end (a maker's trailer, a motion photo's video): the photo is
// accepted and stored without it, so it is served back as the image alone.
TEST(PhotoStoreTest, KeepsAJpegWithoutWhatFollowsItsEnd) {
  char folder_template[] = "/tmp/gateway-photos-XXXXXX";
  const std::string folder = mkdtemp(folder_template);
  PhotoStore store(folder, 1 << 20);
  const std::string jpeg = testing::TestJpeg();
  auto trailed = store.Put(jpeg + "MotionPhoto_Data" + std::string(500, '\x42'));
  ASSERT_TRUE(trailed.ok()) << trailed.status();
  EXPECT_EQ(trailed->content_type, "image/jpeg");
  EXPECT_EQ(trailed->size_bytes, static_cast<int64_t>(jpeg.size()));
  EXPECT_EQ(*store.Get(trailed->photo_ref), jpeg);
  auto plain = store.Put(jpeg);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->photo_ref, trailed->photo_ref);  // the same photo, stored once
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace jifen::gateway
