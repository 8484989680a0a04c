#include "services/gateway/http/scope.h"

#include "absl/strings/str_cat.h"

namespace jifen::gateway {
namespace {

namespace pb = google::protobuf;

int64_t IdField(const pb::Message& message, const char* name) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->is_repeated()) return 0;
  const pb::Reflection& r = *message.GetReflection();
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return r.GetInt64(message, field);
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return r.GetInt32(message, field);
    default:
      return 0;
  }
}

absl::Status CheckOne(const auth::Caller& caller, const pb::Message& message) {
  const bool village_bound =
      caller.role == auth::Role::kResident || caller.role == auth::Role::kGridWorker ||
      caller.role == auth::Role::kAssessor || caller.role == auth::Role::kVillageAdmin;
  if (village_bound) {
    const int64_t village = IdField(message, "village_id");
    if (village != 0 && village != caller.village_id) {
      return absl::PermissionDeniedError(absl::StrCat("village_id ", village, " is out of scope"));
    }
  }
  if (caller.role == auth::Role::kResident) {
    const int64_t household = IdField(message, "household_id");
    if (household != 0 && household != caller.household_id) {
      return absl::PermissionDeniedError(
          absl::StrCat("household_id ", household, " is not the caller's"));
    }
  }
  if (caller.role == auth::Role::kTownOfficial) {
    const int64_t town = IdField(message, "town_id");
    if (town != 0 && town != caller.town_id) {
      return absl::PermissionDeniedError(absl::StrCat("town_id ", town, " is out of scope"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckScope(const auth::Caller& caller, const pb::Message& request) {
  if (caller.IsDistrict() || caller.IsService()) return absl::OkStatus();
  if (absl::Status s = CheckOne(caller, request); !s.ok()) return s;
  const pb::Descriptor& type = *request.GetDescriptor();
  const pb::Reflection& r = *request.GetReflection();
  for (int i = 0; i < type.field_count(); ++i) {
    const pb::FieldDescriptor* field = type.field(i);
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated() ||
        !r.HasField(request, field)) {
      continue;
    }
    if (absl::Status s = CheckOne(caller, r.GetMessage(request, field)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace jifen::gateway
