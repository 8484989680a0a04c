// Photo references in a request (any repeated string field named photo_refs, at any depth) must
// name photos this gateway stored: evidence of an inspection or a declaration is only worth
// keeping if the photo can be shown, and a made-up reference would satisfy "photo required".
#pragma once

#include <optional>

#include "google/protobuf/message.h"
#include "services/gateway/http/transcoder.h"
#include "services/gateway/storage/photo_store.h"

namespace jifen::gateway {

// The first reference `photos` does not hold, as its field path ("outcomes[0].photo_refs[1]"),
// or nullopt when every one is there.
std::optional<FieldError> FindUnstoredPhotoRef(const google::protobuf::Message& request,
                                               const PhotoStore& photos);

}  // namespace jifen::gateway
