// Whether an upload is one whole image, judged by the image libraries themselves (libjpeg-turbo,
// libpng, libwebp) rather than by a look at its first bytes: photos are inspection evidence and
// are served back under the type they claim, so junk, truncated files and polyglots (an image's
// first bytes followed by HTML) are refused. One exception: phones append data after a JPEG's
// end marker (a camera maker's trailer, a motion photo's video), so a JPEG is accepted with it and
// only the image itself is kept (image_bytes).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jifen::gateway {

// The most pixels an upload may have: above any phone camera's default photo (12-50 MP), far
// below what makes a decode expensive (decoding needs at most a few bytes per pixel).
inline constexpr int64_t kImagePixelsMax = 40'000'000;

// "image/jpeg", "image/png" or "image/webp" by the first bytes; empty for anything else. Says
// nothing about the rest of the file (CheckImage does).
std::string SniffImageType(absl::string_view bytes);

struct ImageInfo {
  std::string content_type;  // as SniffImageType
  int64_t width_px = 0;
  int64_t height_px = 0;
  // The image itself, from the file's start: what is stored. A JPEG's bytes up to its end marker;
  // the whole file for PNG and WebP.
  size_t image_bytes = 0;
};

// Decodes `bytes` to the last pixel as the type its first bytes name, keeping no pixels. All
// refusals are INVALID_ARGUMENT, the message led by a code:
//   "UNSUPPORTED_MEDIA_TYPE: ..."  not JPEG, PNG or WebP by its first bytes; an animated WebP;
//   "IMAGE_TOO_LARGE: ..."         the header names more than `pixels_max` pixels (read before any
//                                  pixel is decoded, so a small file can't make us allocate much);
//   "IMAGE_DAMAGED: ..."           it does not decode completely as its type (truncated, corrupt,
//                                  a decoder warning about its data), or bytes follow a PNG's IEND
//                                  or a WebP's RIFF container.
absl::StatusOr<ImageInfo> CheckImage(absl::string_view bytes,
                                     int64_t pixels_max = kImagePixelsMax);

}  // namespace jifen::gateway
