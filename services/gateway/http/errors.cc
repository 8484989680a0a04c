#include "services/gateway/http/errors.h"

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jifen::gateway {
namespace {

const absl::flat_hash_map<std::string, std::string>& Messages() {
  static const auto* messages = new absl::flat_hash_map<std::string, std::string>{
      // By status code.
      {"INVALID_ARGUMENT", "请求内容有误，请检查后重试"},
      {"OUT_OF_RANGE", "请求内容超出允许范围"},
      {"UNAUTHENTICATED", "登录已失效，请重新登录"},
      {"PERMISSION_DENIED", "没有权限执行此操作"},
      {"NOT_FOUND", "未找到相关信息"},
      {"ALREADY_EXISTS", "该记录已存在且内容不同，请勿重复提交"},
      {"ABORTED", "操作冲突，请稍后重试"},
      {"FAILED_PRECONDITION", "当前状态不允许此操作"},
      {"RESOURCE_EXHAUSTED", "请求过于频繁，请稍后再试"},
      {"UNAVAILABLE", "服务暂时不可用，请稍后重试"},
      {"DEADLINE_EXCEEDED", "服务响应超时，请稍后重试"},
      {"CANCELLED", "请求已取消"},
      {"UNIMPLEMENTED", "暂不支持此操作"},
      {"INTERNAL", "系统内部错误，请稍后重试"},
      {"UNKNOWN", "系统内部错误，请稍后重试"},
      {"DATA_LOSS", "系统内部错误，请稍后重试"},
      // The gateway's own.
      {"ROUTE_NOT_FOUND", "请求的接口不存在"},
      {"METHOD_NOT_ALLOWED", "接口不支持此请求方式"},
      {"PAYLOAD_TOO_LARGE", "上传内容过大"},
      {"UNSUPPORTED_MEDIA_TYPE", "仅支持 JPEG、PNG 或 WebP 格式的照片"},
      {"RATE_LIMITED", "请求过于频繁，请稍后再试"},
      {"LOGIN_FAILED", "用户名或密码错误"},
      {"ACCOUNT_LOCKED", "登录失败次数过多，账号已暂时锁定，请稍后再试"},
      {"WECHAT_CODE_INVALID", "微信登录凭证无效，请重新进入小程序"},
      {"WECHAT_UNAVAILABLE", "微信服务暂时不可用，请稍后重试"},
      {"ACCOUNT_NOT_BOUND", "尚未绑定住户，请输入村管理员提供的邀请码"},
      {"INVITATION_INVALID", "邀请码无效、已使用或已过期"},
      {"REFRESH_TOKEN_INVALID", "登录已失效，请重新登录"},
      {"USERNAME_TAKEN", "用户名已被使用"},
      {"SERVICE_NOT_CONFIGURED", "服务暂时不可用，请稍后重试"},
      // Domain codes the services send (CODE: ...).
      {"WALLET_INSUFFICIENT", "可用积分不足"},
      {"OUT_OF_STOCK", "商品库存不足"},
      {"WINDOW_CLOSED", "公示期已结束"},
      {"PERIOD_NOT_FINAL", "本期积分尚未公示完毕"},
      {"RULEBOOK_NOT_PUBLISHED", "本村积分细则尚未发布"},
      {"CAP_REACHED", "该项目本期积分已达上限"},
      {"PHOTO_REQUIRED", "该项目需要上传照片"},
      {"IDEMPOTENCY_CONFLICT", "该记录已提交过且内容不同"},
      {"INSPECTION_ID_REUSED", "该检查记录已提交过且内容不同"},
      {"FORBIDDEN", "没有权限查看或操作该信息"},
      // Scoring's refusals a grid worker or a household meets on the phone.
      {"CAP_EXCEEDED", "该项目本期积分已达上限"},
      {"PERIOD_FINAL", "该季度积分已公示确定，不能再记分"},
      {"NO_RULEBOOK", "本村在该日期没有生效的积分细则"},
      {"UNKNOWN_ITEM", "积分细则中没有该项目"},
      {"ROLE_NOT_ALLOWED", "您的角色不能评定该项目"},
      {"NOT_APPLICABLE", "该项目只适用于出租房屋的农户"},
      {"NOTE_TOO_LONG", "备注太长，请精简后再提交"},
      {"DECLARATION_ID_REUSED", "该申报已提交过且内容不同"},
      {"SELF_RATING", "不能给本组评分"},
      {"ROUND_CLOSED", "本轮互评已结束"},
      {"VOTE_INVALID", "表决结果无效：到会须超过三分之二，赞成须超过到会人数一半"},
      // Redemption's.
      {"SOLD_OUT", "商品已兑完"},
      {"LIMIT_REACHED", "已达到该商品的兑换上限"},
      {"ORDER_ID_REUSED", "该订单已提交过且内容不同"},
  };
  return *messages;
}

bool IsIdentifier(absl::string_view text) {
  if (text.size() < 3 || text.size() > 64 || !absl::ascii_isupper(text[0])) return false;
  for (char c : text) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

// A service's text for these is about the request itself (the services write it for the caller;
// CallHandler hides internal errors), so the caller gets it to correct the input.
bool IsCorrectableInput(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument ||
         code == absl::StatusCode::kFailedPrecondition ||
         code == absl::StatusCode::kAlreadyExists || code == absl::StatusCode::kOutOfRange;
}

constexpr size_t kMaxDetailBytes = 300;

bool IsInternal(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

std::string MessageFor(absl::string_view code, absl::StatusCode fallback) {
  const auto& messages = Messages();
  if (auto it = messages.find(code); it != messages.end()) return it->second;
  if (auto it = messages.find(absl::StatusCodeToString(fallback)); it != messages.end()) {
    return it->second;
  }
  return messages.at("INTERNAL");
}

}  // namespace

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kFailedPrecondition:
      return 412;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
      return 503;
    default:
      return 500;
  }
}

HttpError MapStatus(const absl::Status& status) {
  HttpError error;
  error.http_status = HttpStatusOf(status.code());
  error.code = absl::StatusCodeToString(status.code());
  if (!IsInternal(status.code())) {
    const absl::string_view text = status.message();
    const size_t colon = text.find(':');
    if (colon != absl::string_view::npos && IsIdentifier(text.substr(0, colon))) {
      error.code = std::string(text.substr(0, colon));
    }
  }
  error.message = MessageFor(error.code, status.code());
  if (IsCorrectableInput(status.code())) {
    absl::string_view text = status.message();
    if (error.code != absl::StatusCodeToString(status.code())) {
      text.remove_prefix(error.code.size() + 1);  // the "CODE:" identifier is already `code`
    }
    text = absl::StripAsciiWhitespace(text);
    error.detail = std::string(text.substr(0, kMaxDetailBytes));
  }
  return error;
}

HttpError MakeError(int http_status, absl::string_view code) {
  return {http_status, std::string(code), MessageFor(code, absl::StatusCode::kUnknown), ""};
}

std::string ErrorBody(const HttpError& error, absl::string_view request_id,
                      absl::string_view field) {
  nlohmann::json body = {
      {"code", error.code}, {"message", error.message}, {"request_id", std::string(request_id)}};
  if (!field.empty()) {
    body["field"] = std::string(field);
    body["message"] = absl::StrCat(error.message, "（字段 ", field, "）");
  }
  if (!error.detail.empty()) body["detail"] = error.detail;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace jifen::gateway
