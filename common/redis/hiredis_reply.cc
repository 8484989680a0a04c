#include "common/redis/hiredis_reply.h"

#include <hiredis/hiredis.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace jifen::redis::internal {
namespace {

// Nesting beyond this is not something our scripts produce; refuse rather than recurse deeply.
constexpr int kMaxDepth = 32;

absl::StatusOr<Reply> Convert(const redisReply& reply, int depth) {
  if (depth > kMaxDepth) return absl::InternalError("redis reply nested too deeply");
  Reply out;
  switch (reply.type) {
    case REDIS_REPLY_NIL:
      out.type = Reply::Type::kNil;
      return out;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(reply.str, reply.len);
      return out;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(reply.str, reply.len);
      return out;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = static_cast<int64_t>(reply.integer);
      return out;
    case REDIS_REPLY_ERROR:
      return ErrorReplyStatus(std::string_view(reply.str, reply.len));
    case REDIS_REPLY_ARRAY: {
      out.type = Reply::Type::kArray;
      out.elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) {
        if (reply.element[i] == nullptr)
          return absl::InternalError("redis reply has a null element");
        absl::StatusOr<Reply> element = Convert(*reply.element[i], depth + 1);
        if (!element.ok()) return element.status();
        out.elements.push_back(*std::move(element));
      }
      return out;
    }
    default:
      return absl::InternalError(absl::StrCat("unexpected redis reply type ", reply.type));
  }
}

}  // namespace

absl::Status ErrorReplyStatus(std::string_view text) {
  const absl::string_view view(text.data(), text.size());
  const std::string message = absl::StrCat("redis: ", view);
  if (absl::StartsWith(view, "NOSCRIPT")) return absl::NotFoundError(message);
  for (absl::string_view transient : {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"}) {
    if (absl::StartsWith(view, transient) &&
        (view.size() == transient.size() || view[transient.size()] == ' ')) {
      return absl::UnavailableError(message);
    }
  }
  return absl::FailedPreconditionError(message);
}

absl::StatusOr<Reply> ConvertReply(const redisReply& reply) { return Convert(reply, 0); }

}  // namespace jifen::redis::internal
