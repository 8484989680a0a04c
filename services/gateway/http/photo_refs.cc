#include "services/gateway/http/photo_refs.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace jifen::gateway {
namespace {

namespace pb = google::protobuf;

constexpr char kPhotoRefsField[] = "photo_refs";
constexpr char kPhotoRefField[] = "photo_ref";
constexpr char kUploadFirst[] =
    "no such photo: upload it first (POST /v1/photos) and send the photo_ref it answers";

absl::StatusOr<std::optional<FieldError>> Find(const pb::Message& message,
                                               const std::string& path,
                                               const PhotoRefCheck& usable) {
  const pb::Reflection& reflection = *message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    const std::string here = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (field->name() == kPhotoRefsField && field->is_repeated() &&
        field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        absl::StatusOr<bool> ok = usable(reflection.GetRepeatedString(message, field, i));
        if (!ok.ok()) return ok.status();
        if (!*ok) {
          return std::optional<FieldError>(
              FieldError{absl::StrCat(here, "[", i, "]"), kUploadFirst});
        }
      }
      continue;
    }
    // ListFields lists a proto3 string only when it is not empty: an item without a photo passes.
    if (field->name() == kPhotoRefField && !field->is_repeated() &&
        field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
      absl::StatusOr<bool> ok = usable(reflection.GetString(message, field));
      if (!ok.ok()) return ok.status();
      if (!*ok) return std::optional<FieldError>(FieldError{here, kUploadFirst});
      continue;
    }
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || field->is_map()) continue;
    if (!field->is_repeated()) {
      absl::StatusOr<std::optional<FieldError>> found =
          Find(reflection.GetMessage(message, field), here, usable);
      if (!found.ok() || found->has_value()) return found;
      continue;
    }
    for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
      absl::StatusOr<std::optional<FieldError>> found =
          Find(reflection.GetRepeatedMessage(message, field, i), absl::StrCat(here, "[", i, "]"),
               usable);
      if (!found.ok() || found->has_value()) return found;
    }
  }
  return std::optional<FieldError>();
}

}  // namespace

absl::StatusOr<std::optional<FieldError>> FindUnusablePhotoRef(
    const google::protobuf::Message& request, const PhotoRefCheck& usable) {
  return Find(request, "", usable);
}

}  // namespace jifen::gateway
