#include "services/gateway/auth/resident_bindings.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/text/text.h"

namespace jifen::gateway {
namespace {

absl::Status CheckQuery(const BindingQuery& query) {
  if (query.village_id <= 0) return absl::InvalidArgumentError("village_id: must be a positive id");
  if (query.household_id < 0) {
    return absl::InvalidArgumentError("household_id: must be a positive id");
  }
  if (query.page_size < 0 || query.page_size > kBindingPageSizeMax) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: must be 1..", kBindingPageSizeMax));
  }
  return absl::OkStatus();
}

// The binding id a page starts after: the last one of the page before (0 for the first page).
absl::StatusOr<int64_t> PageStart(absl::string_view page_token) {
  if (page_token.empty()) return 0;
  int64_t after = 0;
  if (!absl::SimpleAtoi(page_token, &after) || after <= 0 || absl::StrCat(after) != page_token) {
    return absl::InvalidArgumentError("page_token: not one this service issued");
  }
  return after;
}

// Whether the town official `reader` reads village `village_id`: the registry, asked under the
// official's own token, says which town the village is of. The token's town alone can't say it.
absl::Status CheckTownReads(const auth::Caller& reader, int64_t village_id,
                            ScopeRegistry& registry) {
  absl::StatusOr<RegisteredVillage> village = registry.GetVillage(village_id);
  // An unknown village and another town's are the same answer: nothing the official may read.
  if (absl::IsNotFound(village.status()) || absl::IsPermissionDenied(village.status())) {
    return absl::PermissionDeniedError(absl::StrCat("village_id ", village_id, " is out of scope"));
  }
  if (!village.ok()) return village.status();
  if (reader.town_id <= 0 || village->town_id != reader.town_id) {
    return absl::PermissionDeniedError(absl::StrCat("village_id ", village_id, " is out of scope"));
  }
  return absl::OkStatus();
}

// The reason as it goes on the trail: without the spaces around it, "" for a blank one.
absl::StatusOr<std::string> CheckReason(absl::string_view reason) {
  const absl::string_view trimmed = text::TrimSpaces(reason);
  const int characters = text::Utf8Length(trimmed);
  if (characters < 0) return absl::InvalidArgumentError("reason: not valid UTF-8 text");
  if (characters > kReleaseReasonCharactersMax) {
    return absl::InvalidArgumentError(absl::StrCat("REASON_TOO_LONG: reason: at most ",
                                                   kReleaseReasonCharactersMax,
                                                   " characters (字), got ", characters));
  }
  return std::string(trimmed);
}

}  // namespace

absl::Status ResidentBindings::CheckReader(const auth::Caller& caller) {
  if (caller.role == auth::Role::kVillageAdmin || caller.role == auth::Role::kTownOfficial ||
      caller.IsDistrict()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError("may not read WeChat bindings");
}

absl::Status ResidentBindings::CheckReleaser(const auth::Caller& caller) {
  if (caller.role == auth::Role::kVillageAdmin && caller.village_id > 0) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError("only a village admin releases WeChat bindings");
}

absl::StatusOr<BindingPage> ResidentBindings::List(const auth::Caller& reader,
                                                   const BindingQuery& query,
                                                   ScopeRegistry& registry) {
  if (absl::Status s = CheckReader(reader); !s.ok()) return s;
  if (absl::Status s = CheckQuery(query); !s.ok()) return s;
  absl::StatusOr<int64_t> after = PageStart(query.page_token);
  if (!after.ok()) return after.status();
  if (reader.role == auth::Role::kVillageAdmin && reader.village_id != query.village_id) {
    return absl::PermissionDeniedError(
        absl::StrCat("village_id ", query.village_id, " is out of scope"));
  }
  if (reader.role == auth::Role::kTownOfficial) {
    if (absl::Status s = CheckTownReads(reader, query.village_id, registry); !s.ok()) return s;
  }
  const int page_size = query.page_size == 0 ? kBindingPageSizeDefault : query.page_size;
  // One more than the page, to know whether another page follows without a count.
  absl::StatusOr<std::vector<BoundMember>> bindings =
      store_->ListActiveBindings(query.village_id, query.household_id, *after, page_size + 1);
  if (!bindings.ok()) return bindings.status();
  BindingPage page;
  page.bindings = *std::move(bindings);
  if (page.bindings.size() > static_cast<size_t>(page_size)) {
    page.bindings.resize(page_size);
    page.next_page_token = absl::StrCat(page.bindings.back().binding_id);
  }
  return page;
}

absl::StatusOr<BindingRelease> ResidentBindings::Release(const auth::Caller& admin,
                                                         int64_t binding_id,
                                                         absl::string_view reason, int64_t now_ms,
                                                         int64_t alive_since_ms,
                                                         absl::string_view request_id) {
  if (absl::Status s = CheckReleaser(admin); !s.ok()) return s;
  if (binding_id <= 0) return absl::InvalidArgumentError("binding_id: must be a positive id");
  absl::StatusOr<std::string> why = CheckReason(reason);
  if (!why.ok()) return why.status();
  // Looked up within the admin's village only: another village's binding is not found, as if it
  // did not exist, so its id tells an admin nothing about who is bound elsewhere.
  absl::StatusOr<BindingRelease> release = store_->ReleaseBinding(
      admin.village_id, binding_id, now_ms, alive_since_ms, *why, CallerContext(admin, request_id));
  if (absl::IsNotFound(release.status())) {
    return absl::NotFoundError(
        absl::StrCat("BINDING_NOT_FOUND: no binding ", binding_id, " in the village"));
  }
  if (!release.ok()) return release.status();
  if (release->outcome == BindingRelease::Outcome::kAlreadyReleased) {
    return absl::AlreadyExistsError(
        absl::StrCat("BINDING_ALREADY_RELEASED: binding ", binding_id, " was released at ",
                     release->binding.released_at_ms, " ms; a new invitation binds the member"));
  }
  log::Info("resident binding released",
            {{"request_id", std::string(request_id)},
             {"by", admin.user_id},
             {"binding_id", absl::StrCat(binding_id)},
             {"user_id", ResidentUserId(release->binding.member_id)},
             {"household_id", absl::StrCat(release->binding.household_id)}});
  return release;
}

}  // namespace jifen::gateway
