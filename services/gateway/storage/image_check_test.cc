#include "services/gateway/storage/image_check.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "tests/support/test_images.h"

namespace jifen::gateway {
namespace {

using ::jifen::testing::TestJpeg;
using ::jifen::testing::TestPng;
using ::jifen::testing::TestWebp;

// The code CheckImage's refusal leads with ("IMAGE_DAMAGED"), "" when it was not refused as the
// caller's fault.
std::string RefusalCode(const absl::StatusOr<ImageInfo>& checked) {
  if (checked.ok() || checked.status().code() != absl::StatusCode::kInvalidArgument) return "";
  const absl::string_view message = checked.status().message();
  return std::string(message.substr(0, message.find(':')));
}

void ExpectImage(const std::string& bytes, const std::string& type, int64_t width_px,
                 int64_t height_px) {
  absl::StatusOr<ImageInfo> checked = CheckImage(bytes);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->content_type, type);
  EXPECT_EQ(checked->width_px, width_px);
  EXPECT_EQ(checked->height_px, height_px);
}

TEST(ImageCheckTest, AcceptsWholeImagesOfEachType) {
  ExpectImage(TestJpeg(1, 1, 1), "image/jpeg", 1, 1);
  ExpectImage(TestJpeg(2, 64, 48), "image/jpeg", 64, 48);
  ExpectImage(TestJpeg(3, 64, 48, /*progressive=*/true), "image/jpeg", 64, 48);
  ExpectImage(TestPng(1, 1, 1), "image/png", 1, 1);
  ExpectImage(TestPng(2, 33, 17), "image/png", 33, 17);
  ExpectImage(TestWebp(1, 1, 1), "image/webp", 1, 1);
  ExpectImage(TestWebp(2, 100, 70), "image/webp", 100, 70);
  ExpectImage(TestWebp(3, 100, 70, /*lossless=*/true), "image/webp", 100, 70);
}

// What QA uploaded and got a photo_ref for, when only the first bytes were looked at.
TEST(ImageCheckTest, RefusesJunkBehindAnImageSignature) {
  EXPECT_EQ(RefusalCode(CheckImage(std::string("\xFF\xD8\xFF", 3))), "IMAGE_DAMAGED");
  EXPECT_EQ(RefusalCode(CheckImage(std::string("\xFF\xD8\xFF", 3) +
                                   "<html><script>alert(document.cookie)</script></html>")),
            "IMAGE_DAMAGED");
  EXPECT_EQ(RefusalCode(CheckImage(std::string("RIFF\0\0\0\0WEBPjunk", 16))), "IMAGE_DAMAGED");
  EXPECT_EQ(RefusalCode(CheckImage(std::string("\x89PNG\r\n\x1a\n", 8) + "pixels")),
            "IMAGE_DAMAGED");
}

TEST(ImageCheckTest, RefusesOtherTypes) {
  EXPECT_EQ(RefusalCode(CheckImage("")), "UNSUPPORTED_MEDIA_TYPE");
  EXPECT_EQ(RefusalCode(CheckImage("GIF89a\x01\x00\x01\x00")), "UNSUPPORTED_MEDIA_TYPE");
  EXPECT_EQ(RefusalCode(CheckImage("<svg onload=alert(1)>")), "UNSUPPORTED_MEDIA_TYPE");
  EXPECT_EQ(RefusalCode(CheckImage("<html><body>photo</body></html>")), "UNSUPPORTED_MEDIA_TYPE");
}

TEST(ImageCheckTest, RefusesTruncatedFiles) {
  for (const std::string& whole :
       {TestJpeg(4, 64, 48), TestJpeg(5, 64, 48, /*progressive=*/true), TestPng(4, 64, 48),
        TestWebp(4, 64, 48), TestWebp(5, 64, 48, /*lossless=*/true)}) {
    for (size_t keep : {whole.size() - 1, whole.size() - 2, whole.size() / 2, size_t{30}}) {
      EXPECT_EQ(RefusalCode(CheckImage(whole.substr(0, keep))), "IMAGE_DAMAGED")
          << SniffImageType(whole) << " cut to " << keep << " of " << whole.size() << " bytes";
    }
  }
}

// A polyglot: a whole image, and after its end something a browser would run. A JPEG may carry
// data after its end (phones append trailers and motion photos' videos): it is accepted, and
// only the image is kept.
TEST(ImageCheckTest, RefusesBytesAfterAPngOrWebpAndLeavesThemOutOfAJpeg) {
  const std::string html = "<html><script>alert(document.cookie)</script></html>";
  const std::string jpeg = TestJpeg(6);
  absl::StatusOr<ImageInfo> trailed = CheckImage(jpeg + html);
  ASSERT_TRUE(trailed.ok()) << trailed.status();
  EXPECT_EQ(trailed->image_bytes, jpeg.size());
  EXPECT_EQ(CheckImage(jpeg)->image_bytes, jpeg.size());
  for (const std::string& image : {TestPng(6), TestWebp(6)}) {
    absl::StatusOr<ImageInfo> checked = CheckImage(image + html);
    EXPECT_EQ(RefusalCode(checked), "IMAGE_DAMAGED") << SniffImageType(image);
    EXPECT_TRUE(absl::StrContains(checked.status().message(), "after the image's end"))
        << checked.status();
    EXPECT_EQ(RefusalCode(CheckImage(image + std::string(1, '\0'))), "IMAGE_DAMAGED");
  }
}

TEST(ImageCheckTest, RefusesCorruptImageData) {
  // A flipped byte in PNG's image data fails the chunk's CRC.
  std::string png = TestPng(7, 32, 32);
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  png[idat + 6] = static_cast<char>(png[idat + 6] ^ 0x5A);
  EXPECT_EQ(RefusalCode(CheckImage(png)), "IMAGE_DAMAGED");

  // JPEG's scan cut short by its end marker: libjpeg would fill in grey and only warn.
  const std::string jpeg = TestJpeg(7, 64, 64);
  const size_t sos = jpeg.find("\xFF\xDA");
  ASSERT_NE(sos, std::string::npos);
  const size_t sos_length = (static_cast<uint8_t>(jpeg[sos + 2]) << 8) |
                            static_cast<uint8_t>(jpeg[sos + 3]);
  const std::string cut = jpeg.substr(0, sos + 2 + sos_length + 8) + "\xFF\xD9";
  EXPECT_EQ(RefusalCode(CheckImage(cut)), "IMAGE_DAMAGED");
}

// CRC-32 as PNG's chunks use it (ISO 3309), for a header made up below.
uint32_t Crc32(absl::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void PutBigEndian(std::string& bytes, size_t at, uint32_t value, int width_bytes) {
  for (int i = 0; i < width_bytes; ++i) {
    bytes[at + i] = static_cast<char>(value >> (8 * (width_bytes - 1 - i)));
  }
}

// The files' pixel data is that of small images: were they decoded as the header claims, they would
// fail as damaged, so IMAGE_TOO_LARGE shows the header was judged before any decoding.
TEST(ImageCheckTest, RefusesHugeDimensionsFromTheHeader) {
  std::string jpeg = TestJpeg(8);
  const size_t sof = jpeg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  PutBigEndian(jpeg, sof + 5, 60000, 2);  // height
  PutBigEndian(jpeg, sof + 7, 60000, 2);  // width
  EXPECT_EQ(RefusalCode(CheckImage(jpeg)), "IMAGE_TOO_LARGE");

  std::string png = TestPng(8);
  PutBigEndian(png, 16, 100000, 4);  // IHDR width
  PutBigEndian(png, 20, 100000, 4);  // IHDR height
  PutBigEndian(png, 29, Crc32(absl::string_view(png).substr(12, 17)), 4);
  EXPECT_EQ(RefusalCode(CheckImage(png)), "IMAGE_TOO_LARGE");

  // Lossless WebP: after "VP8L", its size and the signature byte 0x2f, 14 bits of width - 1 and
  // 14 of height - 1: 16384 x 16384 at most, 268 megapixels.
  std::string webp = TestWebp(8, 8, 8, /*lossless=*/true);
  ASSERT_EQ(webp.substr(12, 4), "VP8L");
  ASSERT_EQ(static_cast<uint8_t>(webp[20]), 0x2f);
  webp[21] = static_cast<char>(0xFF);
  webp[22] = static_cast<char>(0xFF);
  webp[23] = static_cast<char>(0xFF);
  webp[24] = static_cast<char>((webp[24] & 0xF0) | 0x0F);
  absl::StatusOr<ImageInfo> checked = CheckImage(webp);
  EXPECT_EQ(RefusalCode(checked), "IMAGE_TOO_LARGE") << checked.status();
}

TEST(ImageCheckTest, TakesThePixelLimitGiven) {
  for (const std::string& image : {TestJpeg(9, 100, 100), TestPng(9, 100, 100),
                                   TestWebp(9, 100, 100)}) {
    EXPECT_TRUE(CheckImage(image, 10000).ok()) << SniffImageType(image);
    EXPECT_EQ(RefusalCode(CheckImage(image, 9999)), "IMAGE_TOO_LARGE") << SniffImageType(image);
  }
}

}  // namespace
}  // namespace jifen::gateway
