// jifen-dev-wechat: a stand-in for WeChat's code2Session, for the local demo stack only (the
// machine running it has no way to reach api.weixin.qq.com, and no mini-program to make real
// wx.login codes). tools/stack.sh starts it on loopback and points the gateway's
// --wechat_api_base at it.
//
// GET /sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code answers as WeChat
// does: {"openid", "session_key"}, or {"errcode", "errmsg"} for a wrong app id or secret or an
// empty code. The openid is derived from the code, so the same code signs in the same resident
// every time (a real code is single-use; a demo user needs something to type again).
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

ABSL_FLAG(std::string, host, "127.0.0.1",
          "address to listen on (a container's demo listens on 0.0.0.0 for the gateway's)");
ABSL_FLAG(int, port, 0, "port to listen on (0: any free one)");
ABSL_FLAG(std::string, port_file, "", "file receiving the port listened on");
ABSL_FLAG(std::string, app_id, "wx-dev", "the AppID the gateway must send");
ABSL_FLAG(std::string, app_secret_file, "", "file holding the AppSecret the gateway must send");

namespace {

std::string OpenIdOf(const std::string& app_id, const std::string& code) {
  const std::string input = absl::StrCat(app_id, ":", code);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::StrCat("dev-", absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<const char*>(digest), 12)));
}

std::string NewSessionKey() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string app_id = absl::GetFlag(FLAGS_app_id);
  std::ifstream secret_in(absl::GetFlag(FLAGS_app_secret_file));
  const std::string secret(absl::StripAsciiWhitespace(
      std::string(std::istreambuf_iterator<char>(secret_in), std::istreambuf_iterator<char>())));
  if (secret.empty()) {
    std::cerr << "jifen-dev-wechat: --app_secret_file must name a file holding the secret\n";
    return 2;
  }
  httplib::Server server;
  server.Get("/sns/jscode2session", [&](const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body;
    const std::string code = req.get_param_value("js_code");
    if (req.get_param_value("appid") != app_id || req.get_param_value("secret") != secret) {
      body = {{"errcode", 40125}, {"errmsg", "invalid appsecret"}};
    } else if (code.empty() || code.size() > 128) {
      body = {{"errcode", 40029}, {"errmsg", "invalid code"}};
    } else {
      body = {{"openid", OpenIdOf(app_id, code)}, {"session_key", NewSessionKey()}};
    }
    res.set_content(body.dump(), "application/json");
  });
  const std::string host = absl::GetFlag(FLAGS_host);
  const int wanted = absl::GetFlag(FLAGS_port);
  const int port = wanted == 0 ? server.bind_to_any_port(host)
                               : (server.bind_to_port(host, wanted) ? wanted : -1);
  if (port <= 0) {
    std::cerr << "jifen-dev-wechat: cannot listen on " << host << ":" << wanted << "\n";
    return 1;
  }
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_port_file)) << port << "\n";
  }
  std::cout << "jifen-dev-wechat listening on " << host << ":" << port << std::endl;
  server.listen_after_bind();
  return 0;
}
