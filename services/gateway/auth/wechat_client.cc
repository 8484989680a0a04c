#include "services/gateway/auth/wechat_client.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace jifen::gateway {

absl::StatusOr<std::string> HttpWeChatClient::Code2Session(absl::string_view code) {
  if (code.empty() || code.size() > 256) {
    return absl::UnauthenticatedError("WECHAT_CODE_INVALID: empty or oversized code");
  }
  httplib::Client client(config_.api_base);
  const auto micros = absl::ToInt64Microseconds(config_.timeout);
  client.set_connection_timeout(micros / 1000000, micros % 1000000);
  client.set_read_timeout(micros / 1000000, micros % 1000000);
  client.set_write_timeout(micros / 1000000, micros % 1000000);
  const httplib::Params params = {{"appid", config_.app_id},
                                  {"secret", config_.app_secret},
                                  {"js_code", std::string(code)},
                                  {"grant_type", "authorization_code"}};
  httplib::Result result = client.Get("/sns/jscode2session", params, httplib::Headers{});
  // Log neither the URL (it carries the secret) nor the body (it carries session_key).
  if (!result) {
    log::Warning("wechat code2Session unreachable",
                 {{"error", httplib::to_string(result.error())}});
    return absl::UnavailableError("WECHAT_UNAVAILABLE: code2Session unreachable");
  }
  if (result->status != 200) {
    log::Warning("wechat code2Session HTTP error", {{"status", absl::StrCat(result->status)}});
    return absl::UnavailableError("WECHAT_UNAVAILABLE: code2Session HTTP error");
  }
  const nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
  if (!body.is_object()) {
    return absl::UnavailableError("WECHAT_UNAVAILABLE: code2Session answered no JSON");
  }
  const int64_t errcode = body.value("errcode", int64_t{0});
  if (errcode == -1 || errcode == 45011) {  // system busy, rate limited
    log::Warning("wechat code2Session busy", {{"errcode", absl::StrCat(errcode)}});
    return absl::UnavailableError("WECHAT_UNAVAILABLE: busy");
  }
  if (errcode != 0) {
    log::Info("wechat code2Session refused the code", {{"errcode", absl::StrCat(errcode)}});
    return absl::UnauthenticatedError("WECHAT_CODE_INVALID: refused by WeChat");
  }
  const auto openid = body.find("openid");
  if (openid == body.end() || !openid->is_string() || openid->get<std::string>().empty()) {
    return absl::UnavailableError("WECHAT_UNAVAILABLE: no openid in the answer");
  }
  return openid->get<std::string>();
}

}  // namespace jifen::gateway
