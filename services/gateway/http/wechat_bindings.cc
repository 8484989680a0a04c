#include "services/gateway/http/wechat_bindings.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/time/shanghai.h"

namespace jifen::gateway {
namespace {

using nlohmann::json;

std::string ShanghaiTime(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3S%Ez", absl::FromUnixMillis(unix_ms),
                          jifen::time::ShanghaiTime());
}

json BindingJson(const BoundMember& binding) {
  return {{"binding_id", absl::StrCat(binding.binding_id)},
          {"household_id", absl::StrCat(binding.household_id)},
          {"member_id", absl::StrCat(binding.member_id)},
          {"bound_at", ShanghaiTime(binding.bound_at_ms)}};
}

// "" when none is recorded, as every field is printed.
std::string OptionalTime(int64_t unix_ms) { return unix_ms == 0 ? "" : ShanghaiTime(unix_ms); }

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::Status Refuse(FieldError* error, const std::string& field, const std::string& reason) {
  *error = {field, reason};
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

}  // namespace

bool IsBindingReleasePath(absl::string_view path) {
  return absl::ConsumePrefix(&path, kBindingsPath) && absl::ConsumePrefix(&path, "/") &&
         absl::ConsumeSuffix(&path, "/release") && !path.empty() && !absl::StrContains(path, '/');
}

bool ParsePathId(absl::string_view text, int64_t* id) {
  if (text.empty() || text[0] == '0' ||
      !std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    return false;
  }
  return absl::SimpleAtoi(text, id) && *id > 0;
}

absl::StatusOr<BindingQuery> BindingQueryOf(const QueryParams& params, FieldError* error) {
  BindingQuery query;
  std::set<std::string> given;
  for (const auto& [name, value] : params) {
    if (name == "village_id" || name == "household_id") {
      int64_t* id = name == "village_id" ? &query.village_id : &query.household_id;
      if (!ParsePathId(value, id)) return Refuse(error, name, "must be a positive id");
    } else if (name == "page_size") {
      int64_t page_size = 0;
      if (!ParsePathId(value, &page_size) || page_size > kBindingPageSizeMax) {
        return Refuse(error, name, absl::StrCat("must be 1..", kBindingPageSizeMax));
      }
      query.page_size = static_cast<int>(page_size);
    } else if (name == "page_token") {
      query.page_token = value;
    } else {
      return Refuse(error, name, "unknown field");
    }
    if (!given.insert(name).second) return Refuse(error, name, "given twice");
  }
  if (given.count("village_id") == 0) return Refuse(error, "village_id", "required");
  return query;
}

std::string BindingPageJson(const BindingPage& page) {
  json bindings = json::array();
  for (const BoundMember& binding : page.bindings) {
    json listed = BindingJson(binding);
    listed["last_active_at"] = OptionalTime(binding.last_active_at_ms);
    bindings.push_back(std::move(listed));
  }
  return Dump({{"bindings", bindings}, {"next_page_token", page.next_page_token}});
}

std::string ReleasedBindingJson(const BoundMember& binding) {
  json body = BindingJson(binding);
  body["released_at"] = ShanghaiTime(binding.released_at_ms);
  return Dump(body);
}

}  // namespace jifen::gateway
