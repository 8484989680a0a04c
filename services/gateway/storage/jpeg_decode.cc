// JPEG through libjpeg-turbo. libjpeg reports errors by calling error_exit, which must not return
// (its default exits the process), so errors jump back with longjmp. That is safe only where no
// C++ object with a destructor lives between setjmp and the jump: RunDecoder touches plain C
// structs only, and DecodeJpeg builds Statuses from what RunDecoder left in them.
#include <csetjmp>
#include <cstddef>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <cstring>

#include <jpeglib.h>

#include "services/gateway/storage/image_decoders.h"

namespace jifen::gateway::image_internal {
namespace {

// A progressive file may hold thousands of tiny scans, each one a pass over every coefficient of
// the image: libjpeg-turbo's advice for untrusted files is to cap them from the progress monitor.
constexpr int kScansMax = 500;

struct Decoder {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr errors;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  const unsigned char* data;
  unsigned long size;  // libjpeg's type for jpeg_mem_src
  int64_t pixels_max;
  bool too_large;
  int64_t width_px;
  int64_t height_px;
  size_t trailing_bytes;
};

Decoder* DecoderOf(j_common_ptr cinfo) {
  return reinterpret_cast<Decoder*>(reinterpret_cast<char*>(cinfo) - offsetof(Decoder, cinfo));
}

[[noreturn]] void FailByJump(j_common_ptr cinfo) {
  Decoder* decoder = DecoderOf(cinfo);
  (*cinfo->err->format_message)(cinfo, decoder->message);
  std::longjmp(decoder->jump, 1);
}

// libjpeg reports corrupt data (a missing end, a bad Huffman code, bytes between markers) as a
// warning (level -1) and goes on with made-up pixels; such a file is not what it claims, so a
// warning ends the decode. Other levels are trace messages.
void FailOnWarning(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0) FailByJump(cinfo);
}

void LimitScans(j_common_ptr cinfo) {
  const auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number > kScansMax) {
    Decoder* decoder = DecoderOf(cinfo);
    std::snprintf(decoder->message, sizeof decoder->message, "more than %d scans", kScansMax);
    std::longjmp(decoder->jump, 1);
  }
}

// false when the decode failed (decoder->message says why) or was refused as too large.
bool RunDecoder(Decoder* decoder) {
  if (setjmp(decoder->jump) != 0) return false;
  jpeg_decompress_struct* cinfo = &decoder->cinfo;
  jpeg_create_decompress(cinfo);
  cinfo->progress = &decoder->progress;
  jpeg_mem_src(cinfo, decoder->data, decoder->size);
  jpeg_read_header(cinfo, TRUE);
  decoder->width_px = cinfo->image_width;
  decoder->height_px = cinfo->image_height;
  if (OverPixels(decoder->width_px, decoder->height_px, decoder->pixels_max)) {
    decoder->too_large = true;
    return false;
  }
  jpeg_start_decompress(cinfo);
  JSAMPARRAY row = (*cinfo->mem->alloc_sarray)(
      reinterpret_cast<j_common_ptr>(cinfo), JPOOL_IMAGE,
      cinfo->output_width * static_cast<JDIMENSION>(cinfo->output_components), 1);
  while (cinfo->output_scanline < cinfo->output_height) jpeg_read_scanlines(cinfo, row, 1);
  // Reads the rest of the file up to EOI (a progressive file's last scans among it).
  jpeg_finish_decompress(cinfo);
  decoder->trailing_bytes = cinfo->src->bytes_in_buffer;
  return true;
}

}  // namespace

absl::StatusOr<ImageInfo> DecodeJpeg(absl::string_view bytes, int64_t pixels_max) {
  Decoder decoder;
  std::memset(&decoder, 0, sizeof decoder);  // jpeg_destroy_decompress of a half-made struct
  decoder.cinfo.err = jpeg_std_error(&decoder.errors);
  decoder.errors.error_exit = FailByJump;
  decoder.errors.emit_message = FailOnWarning;
  decoder.progress.progress_monitor = LimitScans;
  decoder.data = reinterpret_cast<const unsigned char*>(bytes.data());
  decoder.size = bytes.size();
  decoder.pixels_max = pixels_max;
  const bool decoded = RunDecoder(&decoder);
  jpeg_destroy_decompress(&decoder.cinfo);
  if (decoder.too_large) {
    return TooLarge("JPEG", decoder.width_px, decoder.height_px, pixels_max);
  }
  if (!decoded) return Damaged("JPEG", decoder.message);
  return ImageInfo{"", decoder.width_px, decoder.height_px, bytes.size() - decoder.trailing_bytes};
}

}  // namespace jifen::gateway::image_internal
