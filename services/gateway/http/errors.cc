#include "services/gateway/http/errors.h"

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/text.h"

namespace jifen::gateway {
namespace {

const absl::flat_hash_map<std::string, std::string>& Messages() {
  static const auto* messages = new absl::flat_hash_map<std::string, std::string>{
      // By status code.
      {"INVALID_ARGUMENT", "请求内容有误，请检查后重试"},
      {"OUT_OF_RANGE", "请求内容超出允许范围"},
      {"UNAUTHENTICATED", "登录已失效，请重新登录"},
      // The one code for "you may not do this": services add no domain code to a refusal of
      // permission (errors_test holds them to it; ROLE_NOT_ALLOWED below says something else),
      // so a client has a single code to branch on.
      {"PERMISSION_DENIED", "没有权限查看或操作该信息"},
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
      // A photo whose first bytes name JPEG, PNG or WebP but that does not decode as one to its
      // end (storage/image_check.h), or one with more pixels than any phone's photo.
      {"IMAGE_DAMAGED", "照片文件已损坏或不完整，请重新拍照或选择照片后上传"},
      {"IMAGE_TOO_LARGE", "照片像素过多（超过 4000 万像素），请压缩后再上传"},
      {"JSON_REQUIRED", "请以 JSON 格式提交（Content-Type: application/json）"},
      // A compressed request body (Content-Encoding other than identity), and a chunked one.
      {"CONTENT_ENCODING_UNSUPPORTED", "请求内容不能压缩，请直接提交未压缩的内容"},
      {"LENGTH_REQUIRED", "请求须注明内容长度（Content-Length），不支持分块上传"},
      {"PHOTO_NOT_FOUND", "照片尚未上传成功，请重新上传后再提交"},
      {"ORDER_CANCELLED", "该订单已取消，不能领取"},
      {"NO_OPEN_WINDOW", "当前不在公示期内，暂不能提出异议"},
      {"OBJECTION_EXISTS", "该条积分已有异议，请等待村管理员处理"},
      // Publicity's objection and resolution reasons (windows.h kReasonCharactersMax).
      {"REASON_TOO_LONG", "理由太长，最多 500 字，请精简后再提交"},
      {"RATE_LIMITED", "请求过于频繁，请稍后再试"},
      {"LOGIN_FAILED", "用户名或密码错误"},
      {"ACCOUNT_LOCKED", "登录失败次数过多，账号已暂时锁定，请稍后再试"},
      {"WECHAT_CODE_INVALID", "微信登录凭证无效，请重新进入小程序"},
      {"WECHAT_UNAVAILABLE", "微信服务暂时不可用，请稍后重试"},
      {"ACCOUNT_NOT_BOUND", "尚未绑定住户，请输入村管理员提供的邀请码"},
      {"ACCOUNT_ALREADY_BOUND", "该微信已绑定其他农户成员；如需更换，请联系村管理员"},
      {"INVITATION_INVALID", "邀请码无效、已使用或已过期"},
      {"REFRESH_TOKEN_INVALID", "登录已失效，请重新登录"},
      {"USERNAME_TAKEN", "用户名已被使用"},
      {"SERVICE_NOT_CONFIGURED", "服务暂时不可用，请稍后重试"},
      // Event streams (WatchBoard's live board): all stream slots are taken; Retry-After says when.
      {"TOO_MANY_STREAMS", "实时推送连接已满，请稍后再试"},
      // Domain codes the services send (CODE: ...).
      {"WALLET_INSUFFICIENT", "可用积分不足"},
      // Some units left, fewer than ordered (detail: how many); SOLD_OUT when none is left.
      {"OUT_OF_STOCK", "库存不足，请减少兑换数量"},
      {"WINDOW_CLOSED", "公示期已结束"},
      {"PERIOD_NOT_FINAL", "本期积分尚未公示完毕"},
      {"RULEBOOK_NOT_PUBLISHED", "本村积分细则尚未发布"},
      {"CAP_REACHED", "该项目本期积分已达上限"},
      {"PHOTO_REQUIRED", "该项目需要上传照片"},
      {"IDEMPOTENCY_CONFLICT", "该记录已提交过且内容不同"},
      {"INSPECTION_ID_REUSED", "该检查记录已提交过且内容不同"},
      // Scoring's refusals a grid worker or a household meets on the phone.
      {"CAP_EXCEEDED", "该项目本期积分已达上限"},
      {"PERIOD_FINAL", "该季度积分已公示确定，不能再记分"},
      {"NO_RULEBOOK", "本村在该日期没有生效的积分细则"},
      {"UNKNOWN_ITEM", "积分细则中没有该项目"},
      {"ROLE_NOT_ALLOWED", "您的角色不能评定该项目"},
      {"NOT_APPLICABLE", "该项目只适用于出租房屋的农户"},
      {"NOTE_TOO_LONG", "备注太长，请精简后再提交"},
      {"ITEM_NOT_DECLARABLE", "该项目不能由农户自行申报，请选择其他项目"},
      {"OCCURRED_IN_FUTURE", "发生时间不能晚于现在，请核对日期和时间后再提交"},
      {"TOO_MANY_PHOTOS", "照片太多，每个项目最多 9 张，请删去几张后再提交"},
      {"RATING_OUT_OF_RANGE", "评分须在 0 到 100 分之间，请修改后再提交"},
      {"DECLARATION_ID_REUSED", "该申报已提交过且内容不同"},
      // ReverseEntry: the village's correction id was used for another entry or another reason.
      {"CORRECTION_ID_REUSED", "该更正已提交过且内容不同（更正的记录或理由不一致），请刷新后核对"},
      {"SELF_RATING", "不能给本组评分"},
      {"ROUND_CLOSED", "本轮互评已结束"},
      {"VOTE_INVALID", "表决结果无效：到会须超过三分之二，赞成须超过到会人数一半"},
      // Redemption's.
      {"SOLD_OUT", "商品已兑完"},
      {"LIMIT_REACHED", "已达到该商品的兑换上限"},
      {"ORDER_ID_REUSED", "该订单已提交过且内容不同"},
      {"NOT_ON_SALE", "该商品当前不在兑换期内"},
      {"DEBIT_REFUSED", "积分扣减未成功，请刷新积分后重试"},
      {"ORDER_CONFLICT", "该订单号已用于其他订单，请重新下单"},
      {"ORDER_PENDING", "订单正在处理，请稍后刷新查看结果"},
      {"CANCEL_PENDING", "取消正在处理，积分退回后订单状态会更新，请稍后刷新"},
      {"NOT_CANCELLABLE", "该订单当前状态不能取消"},
      {"PICKUP_CODE_UNKNOWN", "取货码无效，请核对后重新输入"},
      {"ALREADY_FULFILLED", "该订单已领取，无需重复核销"},
      {"ITEM_NOT_FOUND", "未找到该商品，请刷新商品列表"},
      {"ORDER_NOT_FOUND", "未找到该订单，请刷新订单列表"},
      {"NEGATIVE_STOCK", "调整后库存不能小于零，请核对数量"},
      {"NOT_A_DONATION_SOURCE", "该资金来源不是本村的捐赠来源，请选择捐赠类来源"},
      {"FUNDING_SOURCE_NOT_FOUND", "未找到该资金来源，请刷新后重新选择"},
      {"BUDGET_YEAR_CLOSED",
       "该年度已结束，已录入的奖补预算不能再修改；如确需更正，请联系区级部门"},
      {"REGISTRY_UNAVAILABLE", "暂时无法读取村民名册（门牌号、户主），台账未导出，请稍后重试"},
      // The gateway's account administration.
      {"ACCOUNT_NOT_FOUND", "未找到该工作人员账号，请核对用户名"},
      {"PASSWORD_TOO_SHORT", "密码太短，请按提示设置更长的密码"},
      {"PASSWORD_TOO_WEAK",
       "密码太简单，容易被猜中：请勿使用重复或按顺序排列的字符、常见密码或包含用户名的密码，"
       "请换一个更难猜的密码"},
      {"GRID_NOT_IN_VILLAGE", "该网格不存在或不属于本村，请重新选择网格"},
      {"TEAM_NOT_IN_VILLAGE", "该考核小组不存在或不属于本村，请重新选择考核小组"},
      {"VILLAGE_NOT_FOUND", "该村不存在或不在您的管辖范围内，请重新选择村"},
      {"VILLAGE_NOT_IN_TOWN", "该村不属于所选的镇，请核对镇和村"},
      {"TOWN_NOT_FOUND", "该镇不存在，请重新选择镇"},
      {"GROUP_NOT_IN_VILLAGE", "该村民小组不存在或不属于本村，请重新选择小组"},
      {"HOUSEHOLD_NOT_IN_VILLAGE", "该农户不存在或不属于本村，请核对后重试"},
      {"ROSTER_CONFLICT",
       "名册中有记录与系统中已登记的记录冲突，未导入任何内容；请先试导入查看逐行结果"},
      {"HOUSEHOLD_NOT_IN_GROUP", "该农户不属于这个村民小组，请选择农户所在的小组"},
      {"GRID_WORKER_NOT_ASSIGNED", "未能登记为该网格的网格员，账号未创建，请稍后重试"},
      {"GRID_WORKER_CHANGED", "该网格的网格员刚被更改，账号未创建，请查看网格后重新提交"},
      {"BINDING_NOT_FOUND", "未找到该微信绑定，请刷新绑定列表后重试"},
      {"BINDING_ALREADY_RELEASED",
       "该微信绑定已解除，无需重复操作；如需重新绑定，请为该成员生成新的邀请码"},
      // Scoring's rulebooks, ledger, declarations and group evaluation.
      {"EFFECTIVE_DATE_TOO_EARLY", "新版细则的生效日期须晚于已发布版本的生效日期"},
      {"EFFECTIVE_DATE_IN_PAST",
       "新版细则不能追溯生效：生效日期须不早于今天，且晚于已评分事项的日期"},
      {"RULEBOOK_PUBLISHED", "该细则已发布，不能修改；请新建一个生效日期更晚的版本"},
      {"RULEBOOK_EMPTY", "细则中至少要有一个积分项目，请添加后再发布"},
      {"VOTE_MISSING", "请先录入村民代表会议表决结果，再发布细则"},
      {"ALREADY_REVERSED", "该积分记录已被更正过，不能重复更正"},
      // A wallet movement: settlement credits, redemption debits and their refunds.
      {"NOT_REVERSIBLE",
       "只有评分记录可以更正；积分结算、兑换和退回记录不能更正，兑换可通过取消订单退回积分"},
      {"REVERSAL_NOT_REVERSIBLE", "这是一条更正记录，不能再更正；如更正有误，请重新录入评分"},
      {"ORDER_NOT_DEBITED", "该订单没有扣减积分，无需退还"},
      {"PERIOD_NOT_OVER", "该季度尚未结束，请季度结束后再操作"},
      {"LATE_ENTRIES", "该季度有新记入的积分，农户提出异议的时间未满，暂不能结算"},
      {"NOT_GROUP_REPRESENTATIVE", "只有村里为本组指定的村民代表才能提交本组的互评"},
      {"REPRESENTATIVE_NOT_IN_GROUP", "指定的村民代表不是该村民小组的成员，请重新选择"},
      {"WORK_PENDING", "该季度还有待审核的自主申报或未结束的组组互评，请先处理后再结算"},
      // Rejecting a declaration already approved (and scored).
      {"DECLARATION_REVIEWED",
       "该申报已审核通过并记分，不能再驳回；如需更正，请更正对应的积分记录"},
      // Approving a declaration already rejected: nothing was scored.
      {"DECLARATION_REJECTED", "该申报已被驳回，不能再审核通过；如需记分，请农户重新提交申报"},
      {"PERIOD_NOT_STARTED", "该季度尚未开始，暂不能开展互评"},
      {"TOO_FEW_GROUPS", "本村至少需要两个村民小组才能开展互评"},
      // SubmitRatings: a (group, criterion) pair is missing from the submission.
      {"RATINGS_INCOMPLETE", "请为其他每个小组的每一项都打分后再提交"},
      // CloseRound: a participating group has not submitted; the detail names the groups.
      {"GROUPS_NOT_SUBMITTED",
       "还有小组未提交互评评分，不能结束本轮；请等这些小组提交，或由村管理员代为录入其纸质评分后再"
       "结束"},
      {"RATINGS_SUBMITTED", "本组已提交过不同的评分，不能再次修改"},
      {"ROUND_ID_REUSED", "该互评轮次已按其他设置开启，请刷新后查看"},
      {"ITEM_GONE", "该评分项目已从细则中移除，请刷新后重试"},
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

// The wording of common/mysql's StatusFromSqlException, also when a service wrapped it.
bool IsDatabaseText(absl::string_view text) { return absl::StrContains(text, "mysql error "); }

bool IsFieldNameChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '.' || c == '[' ||
         c == ']';
}

// The field a refusal names, so a form can mark it: the services and the gateway write
// "household_id: ..." or "village_id must be >= 0". Lowercase snake_case (dots for nested
// fields, "[i]" for an element: "ratings[2].score"), then a colon or " must "/" is "/" are ".
// "" when the text names none.
std::string FieldNamedBy(absl::string_view text) {
  if (text.empty() || !absl::ascii_islower(text[0])) return "";
  size_t end = 0;
  while (end < text.size() && end < 64 && IsFieldNameChar(text[end])) ++end;
  const absl::string_view name = text.substr(0, end);
  const absl::string_view rest = text.substr(end);
  // A bare word like "malformed" is not a field: a field name has an underscore or dot, or is
  // followed by a colon.
  if (absl::StartsWith(rest, ":")) return std::string(name);
  const bool looks_like_field = name.find_first_of("_.[") != absl::string_view::npos;
  if (looks_like_field && (absl::StartsWith(rest, " must ") || absl::StartsWith(rest, " is ") ||
                           absl::StartsWith(rest, " are "))) {
    return std::string(name);
  }
  return "";
}

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
  // A database error a service let through unchanged (a duplicate key, a failed CHECK) names
  // tables, keys and values: the person gets the code and the Chinese message, not the detail.
  if (IsCorrectableInput(status.code()) && !IsDatabaseText(status.message())) {
    absl::string_view text = status.message();
    if (error.code != absl::StatusCodeToString(status.code())) {
      text.remove_prefix(error.code.size() + 1);  // the "CODE:" identifier is already `code`
    }
    text = absl::StripAsciiWhitespace(text);
    text = text::Utf8Prefix(text, kMaxDetailBytes);
    error.detail = std::string(text);
    if (status.code() == absl::StatusCode::kInvalidArgument ||
        status.code() == absl::StatusCode::kOutOfRange) {
      error.field = FieldNamedBy(text);
    }
  }
  return error;
}

bool HasChineseMessage(absl::string_view code) { return Messages().contains(code); }

HttpError MakeError(int http_status, absl::string_view code) {
  return {http_status, std::string(code), MessageFor(code, absl::StatusCode::kUnknown), "", ""};
}

std::string ErrorBody(const HttpError& error, absl::string_view request_id,
                      absl::string_view field) {
  nlohmann::json body = {
      {"code", error.code}, {"message", error.message}, {"request_id", std::string(request_id)}};
  if (field.empty()) field = error.field;
  if (!field.empty()) {
    body["field"] = std::string(field);
    body["message"] = absl::StrCat(error.message, "（字段 ", field, "）");
  }
  if (!error.detail.empty()) body["detail"] = error.detail;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace jifen::gateway
