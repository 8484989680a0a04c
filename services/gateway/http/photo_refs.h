// Photo references in a request (any repeated string field named photo_refs and any non-empty
// string field named photo_ref, at any depth) must name photos this gateway stored: evidence of an
// inspection or a declaration is only worth keeping if the photo can be shown, a made-up reference
// would satisfy "photo required", and a store item's photo is shown to residents.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "services/gateway/http/transcoder.h"

namespace jifen::gateway {

// Whether the caller may cite a photo: stored, and uploaded from the caller's village.
using PhotoRefCheck = std::function<absl::StatusOr<bool>(const std::string& photo_ref)>;

// The first reference `usable` refuses, as its field path ("outcomes[0].photo_refs[1]",
// "item.photo_ref"), or nullopt when every one passes; an error of `usable` (the database) is
// returned as is.
absl::StatusOr<std::optional<FieldError>> FindUnusablePhotoRef(
    const google::protobuf::Message& request, const PhotoRefCheck& usable);

}  // namespace jifen::gateway
