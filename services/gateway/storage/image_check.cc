#include "services/gateway/storage/image_check.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/gateway/storage/image_decoders.h"

namespace jifen::gateway {

std::string SniffImageType(absl::string_view b) {
  if (b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF &&
      static_cast<unsigned char>(b[1]) == 0xD8 && static_cast<unsigned char>(b[2]) == 0xFF) {
    return "image/jpeg";
  }
  if (absl::StartsWith(b, absl::string_view("\x89PNG\r\n\x1a\n", 8))) return "image/png";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return "";
}

absl::StatusOr<ImageInfo> CheckImage(absl::string_view bytes, int64_t pixels_max) {
  const std::string type = SniffImageType(bytes);
  absl::StatusOr<ImageInfo> info;
  if (type == "image/jpeg") {
    info = image_internal::DecodeJpeg(bytes, pixels_max);
  } else if (type == "image/png") {
    info = image_internal::DecodePng(bytes, pixels_max);
  } else if (type == "image/webp") {
    info = image_internal::DecodeWebp(bytes, pixels_max);
  } else {
    return absl::InvalidArgumentError("UNSUPPORTED_MEDIA_TYPE: not JPEG, PNG or WebP");
  }
  if (info.ok()) info->content_type = type;
  return info;
}

namespace image_internal {

// The detail starts with the type's name, capitalised, so the gateway's error mapping never takes
// it for a field name.
absl::Status Damaged(absl::string_view type, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("IMAGE_DAMAGED: ", type, " does not decode completely: ", why));
}

absl::Status TooLarge(absl::string_view type, int64_t width_px, int64_t height_px,
                      int64_t pixels_max) {
  return absl::InvalidArgumentError(absl::StrCat("IMAGE_TOO_LARGE: ", type, " of ", width_px, "x",
                                                 height_px, " pixels, at most ", pixels_max));
}

absl::Status TrailingBytes(absl::string_view type, size_t trailing_bytes) {
  return Damaged(type, absl::StrCat(trailing_bytes, " bytes after the image's end"));
}

bool OverPixels(int64_t width_px, int64_t height_px, int64_t pixels_max) {
  if (width_px <= 0 || height_px <= 0) return false;  // the decoders refuse empty images
  return width_px > pixels_max / height_px;  // w > floor(P / h) exactly when w * h > P
}

}  // namespace image_internal
}  // namespace jifen::gateway
