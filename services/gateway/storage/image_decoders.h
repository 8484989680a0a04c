// One decoder per image library, each given a file whose first bytes already name its type
// (image_check.cc chooses). Each decodes the whole file without keeping the pixels and returns its
// dimensions, or the refusals CheckImage documents (image_check.h).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/storage/image_check.h"

namespace jifen::gateway::image_internal {

absl::StatusOr<ImageInfo> DecodeJpeg(absl::string_view bytes, int64_t pixels_max);  // libjpeg-turbo
absl::StatusOr<ImageInfo> DecodePng(absl::string_view bytes, int64_t pixels_max);   // libpng
absl::StatusOr<ImageInfo> DecodeWebp(absl::string_view bytes, int64_t pixels_max);  // libwebp

// The refusals, worded alike for the three types (`type` is "JPEG", "PNG" or "WebP").
absl::Status Damaged(absl::string_view type, absl::string_view why);
absl::Status TooLarge(absl::string_view type, int64_t width_px, int64_t height_px,
                      int64_t pixels_max);
absl::Status TrailingBytes(absl::string_view type, size_t trailing_bytes);
// Whether width x height is more than pixels_max (no overflow for any 32-bit dimensions).
bool OverPixels(int64_t width_px, int64_t height_px, int64_t pixels_max);

}  // namespace jifen::gateway::image_internal
