// WebP through libwebp.
#include <webp/decode.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/gateway/storage/image_decoders.h"

namespace jifen::gateway::image_internal {
namespace {

// The decoded pixels are thrown away, so they are scaled down to at most this many a side: every
// byte of the file is still decoded, into little memory.
constexpr int kScaledSidePxMax = 64;

const char* StatusText(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OUT_OF_MEMORY:
      return "out of memory";
    case VP8_STATUS_INVALID_PARAM:
      return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR:
      return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return "unsupported feature";
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return "the file ends early";
    default:
      return "decoder error";
  }
}

uint32_t LittleEndian32(absl::string_view bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  return b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

}  // namespace

absl::StatusOr<ImageInfo> DecodeWebp(absl::string_view bytes, int64_t pixels_max) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return absl::InternalError("libwebp version mismatch");
  // Reads the headers only.
  const VP8StatusCode features = WebPGetFeatures(data, bytes.size(), &config.input);
  if (features != VP8_STATUS_OK) return Damaged("WebP", StatusText(features));
  if (config.input.has_animation) {
    return absl::InvalidArgumentError("UNSUPPORTED_MEDIA_TYPE: an animated WebP");
  }
  const int64_t width_px = config.input.width;
  const int64_t height_px = config.input.height;
  if (OverPixels(width_px, height_px, pixels_max)) {
    return TooLarge("WebP", width_px, height_px, pixels_max);
  }
  // The RIFF header's size is the container's; libwebp ignores whatever follows it.
  const uint64_t riff_bytes = uint64_t{8} + LittleEndian32(bytes.substr(4, 4));
  if (bytes.size() < riff_bytes) return Damaged("WebP", "the file ends early");
  if (bytes.size() > riff_bytes) return TrailingBytes("WebP", bytes.size() - riff_bytes);
  config.options.use_scaling = 1;
  config.options.scaled_width = std::min(config.input.width, kScaledSidePxMax);
  config.options.scaled_height = std::min(config.input.height, kScaledSidePxMax);
  const VP8StatusCode decoded = WebPDecode(data, bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);
  if (decoded != VP8_STATUS_OK) return Damaged("WebP", StatusText(decoded));
  return ImageInfo{"", width_px, height_px, bytes.size()};
}

}  // namespace jifen::gateway::image_internal
