#include "services/scoring/domain/photo_refs.h"

#include "absl/strings/str_cat.h"
#include "common/text/text.h"

namespace jifen::scoring {
absl::Status ValidatePhotoRefs(const std::vector<std::string>& photo_refs,
                               absl::string_view field) {
  if (photo_refs.size() > kMaxPhotosPerDeed) {
    return absl::InvalidArgumentError(absl::StrCat("TOO_MANY_PHOTOS: ", field, ": at most ",
                                                   kMaxPhotosPerDeed, " photos per item, not ",
                                                   photo_refs.size()));
  }
  for (size_t i = 0; i < photo_refs.size(); ++i) {
    if (!text::IsLowercaseSha256Hex(photo_refs[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: not a photo reference; upload the photo first "
                       "(POST /v1/photos) and send the photo_ref it answers"));
    }
  }
  return absl::OkStatus();
}

}  // namespace jifen::scoring
