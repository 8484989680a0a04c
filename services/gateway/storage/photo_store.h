// Photos of inspections and declarations, stored content-addressed: the file name is the SHA-256
// of the bytes, so the same photo uploaded twice (a retry from a phone with bad signal) is kept
// once.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/storage/image_check.h"

namespace jifen::gateway {

struct StoredPhoto {
  std::string photo_ref;  // lowercase hex SHA-256
  std::string content_type;
  int64_t size_bytes = 0;
};

class PhotoStore final {
 public:
  // `folder` must exist and be writable (checked at start by main).
  PhotoStore(std::string folder, int64_t max_bytes)
      : folder_(std::move(folder)), max_bytes_(max_bytes) {}

  // Stores only a whole JPEG, PNG or WebP (CheckImage, image_check.h). INVALID_ARGUMENT
  // "PAYLOAD_TOO_LARGE:" over the size limit, "UNSUPPORTED_MEDIA_TYPE:" when empty, else
  // CheckImage's refusals; INTERNAL for a filesystem failure. Writes via a temporary file and rename, so a
  // crash never leaves half a photo under its final name.
  absl::StatusOr<StoredPhoto> Put(absl::string_view bytes) const;

  // NOT_FOUND for an unknown or malformed ref.
  absl::StatusOr<std::string> Get(absl::string_view photo_ref) const;
  // Whether a photo is stored under `photo_ref` (false for a malformed ref), without reading it.
  bool Has(absl::string_view photo_ref) const;

  int64_t max_bytes() const { return max_bytes_; }

 private:
  std::string PathOf(absl::string_view photo_ref) const;
  std::string folder_;
  int64_t max_bytes_;
};

}  // namespace jifen::gateway
