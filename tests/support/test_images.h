// Small real image files made with the libraries' own encoders (libjpeg-turbo, libpng, libwebp),
// for tests that upload photos: the gateway decodes every upload, so made-up bytes are refused.
// Each image is `width_px` x `height_px` pixels in a pattern seeded by `seed`; different seeds give
// different files (and so different photo_refs), the same arguments the same bytes.
#pragma once

#include <cstdint>
#include <string>

namespace jifen::testing {

std::string TestJpeg(uint8_t seed = 1, int width_px = 8, int height_px = 8,
                     bool progressive = false);
std::string TestPng(uint8_t seed = 1, int width_px = 8, int height_px = 8);
std::string TestWebp(uint8_t seed = 1, int width_px = 8, int height_px = 8, bool lossless = false);

}  // namespace jifen::testing
