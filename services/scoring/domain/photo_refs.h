// What a photo reference in an inspection or declaration must look like: the gateway stores each
// uploaded photo under the lowercase hex SHA-256 of its bytes (POST /v1/photos answers it as
// photo_ref), and evidence is only worth keeping if it names such a photo.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jifen::scoring {

// As many as the mini-program lets a user pick at once (wx.chooseImage: 9).
inline constexpr int kMaxPhotosPerDeed = 9;

// INVALID_ARGUMENT naming `field` (e.g. "outcomes[0].photo_refs[1]") for a reference that is not a
// photo_ref, or "TOO_MANY_PHOTOS: <field>: ..." for more than kMaxPhotosPerDeed of them.
absl::Status ValidatePhotoRefs(const std::vector<std::string>& photo_refs, absl::string_view field);

}  // namespace jifen::scoring
