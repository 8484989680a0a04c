#include "tests/support/test_images.h"

#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <cstdlib>
#include <vector>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

namespace jifen::testing {
namespace {

// RGB, 3 bytes a pixel, row after row.
std::vector<uint8_t> Pixels(uint8_t seed, int width_px, int height_px) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width_px) * height_px * 3);
  for (int y = 0; y < height_px; ++y) {
    for (int x = 0; x < width_px; ++x) {
      uint8_t* p = &rgb[(static_cast<size_t>(y) * width_px + x) * 3];
      p[0] = static_cast<uint8_t>(seed * 37 + x * 16);
      p[1] = static_cast<uint8_t>(seed * 11 + y * 16);
      p[2] = static_cast<uint8_t>(seed * 53 + (x ^ y) * 8);
    }
  }
  return rgb;
}

}  // namespace

// The encoders' default error handling (exit, abort) is fine here: the inputs are ours.
std::string TestJpeg(uint8_t seed, int width_px, int height_px, bool progressive) {
  std::vector<uint8_t> rgb = Pixels(seed, width_px, height_px);
  jpeg_compress_struct cinfo;
  jpeg_error_mgr errors;
  cinfo.err = jpeg_std_error(&errors);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = width_px;
  cinfo.image_height = height_px;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = &rgb[static_cast<size_t>(cinfo.next_scanline) * width_px * 3];
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string file(reinterpret_cast<const char*>(out), out_size);
  jpeg_destroy_compress(&cinfo);
  std::free(out);
  return file;
}

std::string TestPng(uint8_t seed, int width_px, int height_px) {
  std::vector<uint8_t> rgb = Pixels(seed, width_px, height_px);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width_px;
  image.height = height_px;
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, rgb.data(), 0, nullptr)) std::abort();
  std::string file(size, '\0');
  if (!png_image_write_to_memory(&image, file.data(), &size, 0, rgb.data(), 0, nullptr)) {
    std::abort();
  }
  file.resize(size);
  return file;
}

std::string TestWebp(uint8_t seed, int width_px, int height_px, bool lossless) {
  std::vector<uint8_t> rgb = Pixels(seed, width_px, height_px);
  uint8_t* out = nullptr;
  const size_t size =
      lossless ? WebPEncodeLosslessRGB(rgb.data(), width_px, height_px, width_px * 3, &out)
               : WebPEncodeRGB(rgb.data(), width_px, height_px, width_px * 3, 90, &out);
  if (size == 0) std::abort();
  std::string file(reinterpret_cast<const char*>(out), size);
  WebPFree(out);
  return file;
}

}  // namespace jifen::testing
