// Digests for idempotency and audit: what makes two submissions "the same".
#pragma once

#include <string>

#include <google/protobuf/message.h>

#include "absl/strings/string_view.h"
#include "common/auth/caller.h"

namespace jifen::scoring {

std::string Sha256Hex(absl::string_view input);

// Serialization with map order fixed, so equal messages give equal bytes.
std::string DeterministicBytes(const google::protobuf::Message& message);

// SHA-256 hex of the caller's identity and the request: a retry by the same person with the same
// content has the same digest; anything else under the same client id is a conflict.
std::string RequestDigest(const auth::Caller& caller, const google::protobuf::Message& request);

}  // namespace jifen::scoring
