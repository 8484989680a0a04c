// Early-return helpers for absl::Status / absl::StatusOr, named as Abseil's internal ones are.
// Debian 12's Abseil (20220623) does not ship them.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define JIFEN_STATUS_CONCAT_INNER(a, b) a##b
#define JIFEN_STATUS_CONCAT(a, b) JIFEN_STATUS_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): evaluates an absl::Status (or StatusOr) and returns it if not OK.
#define RETURN_IF_ERROR(expr)                                           \
  do {                                                                  \
    const absl::Status jifen_status_ = ::jifen::status_internal::AsStatus(expr); \
    if (!jifen_status_.ok()) return jifen_status_;                      \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): lhs = *expr if OK, otherwise returns expr's status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  JIFEN_ASSIGN_OR_RETURN_IMPL(JIFEN_STATUS_CONCAT(jifen_statusor_, __LINE__), lhs, expr)

#define JIFEN_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

namespace jifen::status_internal {
inline const absl::Status& AsStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}
}  // namespace jifen::status_internal
