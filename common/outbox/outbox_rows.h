// The SQL on the outbox table that the relay needs. Internal to jifen_outbox.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mysql/connection_pool.h"
#include "common/outbox/outbox.h"

namespace jifen::outbox {

// Up to `limit` undelivered records of `topic`, lowest id first.
absl::StatusOr<std::vector<OutboxRecord>> FetchUndelivered(mysql::ConnectionPool& pool,
                                                           const std::string& topic, int limit);

// Sets delivered_at on the given records (those already marked stay as they are).
absl::Status MarkDelivered(mysql::ConnectionPool& pool, const std::vector<OutboxRecord>& records);

}  // namespace jifen::outbox
