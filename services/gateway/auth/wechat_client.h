// WeChat's code2Session (auth.code2Session): the mini-program's wx.login code -> the user's openid.
// The app secret goes out only to WeChat; the session_key that comes back is dropped here and
// never stored, logged or returned.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jifen::gateway {

class WeChatClient {
 public:
  virtual ~WeChatClient() = default;
  // The openid. UNAUTHENTICATED "WECHAT_CODE_INVALID:" for a code WeChat refuses (invalid, used,
  // expired); UNAVAILABLE "WECHAT_UNAVAILABLE:" when WeChat can't be reached or is busy.
  virtual absl::StatusOr<std::string> Code2Session(absl::string_view code) = 0;
};

struct WeChatConfig {
  std::string api_base = "https://api.weixin.qq.com";  // scheme://host[:port], no trailing path
  std::string app_id;
  std::string app_secret;
  absl::Duration timeout = absl::Seconds(5);
};

class HttpWeChatClient final : public WeChatClient {
 public:
  explicit HttpWeChatClient(WeChatConfig config) : config_(std::move(config)) {}
  absl::StatusOr<std::string> Code2Session(absl::string_view code) override;

 private:
  WeChatConfig config_;
};

}  // namespace jifen::gateway
