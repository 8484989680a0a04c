// PNG through libpng. libpng reports errors with longjmp back to png_jmpbuf, which is safe only
// where no C++ object with a destructor lives between setjmp and the jump: RunDecoder touches
// plain C structs only, and DecodePng builds Statuses from what RunDecoder left in them.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "services/gateway/storage/image_decoders.h"

namespace jifen::gateway::image_internal {
namespace {

struct Decoder {
  png_structp png;
  png_infop info;
  png_bytep row;
  char message[200];
  const unsigned char* data;
  size_t size;
  size_t offset;  // how far libpng has read
  int64_t pixels_max;
  bool too_large;
  int64_t width_px;
  int64_t height_px;
};

void ReadFromMemory(png_structp png, png_bytep out, size_t length) {
  auto* decoder = static_cast<Decoder*>(png_get_io_ptr(png));
  if (decoder->size - decoder->offset < length) png_error(png, "the file ends early");
  std::memcpy(out, decoder->data + decoder->offset, length);
  decoder->offset += length;
}

[[noreturn]] void FailByJump(png_structp png, png_const_charp message) {
  auto* decoder = static_cast<Decoder*>(png_get_error_ptr(png));
  std::snprintf(decoder->message, sizeof decoder->message, "%s", message);
  png_longjmp(png, 1);
}

// libpng's warnings are about ancillary details real files often get wrong (a known-bad sRGB
// profile, a text chunk's keyword); damage to the image data or any chunk's CRC is an error here.
void IgnoreWarning(png_structp, png_const_charp) {}

// false when the decode failed (decoder->message says why) or was refused as too large.
bool RunDecoder(Decoder* decoder) {
  if (setjmp(png_jmpbuf(decoder->png)) != 0) return false;
  png_structp png = decoder->png;
  png_set_read_fn(png, decoder, ReadFromMemory);
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
  // libpng's own limit (a million pixels a side) would call a wide file damaged; the pixel count
  // below refuses it as too large instead.
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_read_info(png, decoder->info);
  decoder->width_px = png_get_image_width(png, decoder->info);
  decoder->height_px = png_get_image_height(png, decoder->info);
  if (OverPixels(decoder->width_px, decoder->height_px, decoder->pixels_max)) {
    decoder->too_large = true;
    return false;
  }
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, decoder->info);
  decoder->row = static_cast<png_bytep>(png_malloc(png, png_get_rowbytes(png, decoder->info)));
  for (int pass = 0; pass < passes; ++pass) {
    for (int64_t y = 0; y < decoder->height_px; ++y) png_read_row(png, decoder->row, nullptr);
  }
  // The chunks after the image data, up to IEND, CRCs checked.
  png_read_end(png, nullptr);
  return true;
}

}  // namespace

absl::StatusOr<ImageInfo> DecodePng(absl::string_view bytes, int64_t pixels_max) {
  Decoder decoder;
  std::memset(&decoder, 0, sizeof decoder);
  decoder.data = reinterpret_cast<const unsigned char*>(bytes.data());
  decoder.size = bytes.size();
  decoder.pixels_max = pixels_max;
  decoder.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &decoder, FailByJump, IgnoreWarning);
  if (decoder.png == nullptr) return absl::InternalError("png_create_read_struct failed");
  decoder.info = png_create_info_struct(decoder.png);
  bool decoded = false;
  if (decoder.info != nullptr) decoded = RunDecoder(&decoder);
  png_free(decoder.png, decoder.row);
  png_destroy_read_struct(&decoder.png, &decoder.info, nullptr);
  if (decoder.too_large) return TooLarge("PNG", decoder.width_px, decoder.height_px, pixels_max);
  if (!decoded) {
    if (decoder.message[0] == '\0') return absl::InternalError("png_create_info_struct failed");
    return Damaged("PNG", decoder.message);
  }
  if (decoder.offset < decoder.size) return TrailingBytes("PNG", decoder.size - decoder.offset);
  return ImageInfo{"", decoder.width_px, decoder.height_px, bytes.size()};
}

}  // namespace jifen::gateway::image_internal
