// The audit trail in MariaDB (migrations 0001_trail.sql).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/mysql/connection_pool.h"

namespace sql {
class Connection;
}
#include "services/audit/domain/trail.h"

namespace jifen::audit {

// The source_service of the audit service's own changes (supervision); their outbox_id is set to
// their sequence.
inline constexpr char kSelfSource[] = "audit";

// Chains `records` on `connection` inside the caller's transaction (locks chain_head until it
// ends), so a change of this service and its audit record commit together. Throws
// sql::SQLException like any statement; the caller's transaction runner maps it.
absl::StatusOr<AppendOutcome> AppendOnConnection(sql::Connection& connection,
                                                 const std::vector<TrailRecord>& records,
                                                 int64_t now_ms, const Hasher& hasher);

class MySqlTrailRepository final : public TrailRepository {
 public:
  // `scan_page_rows`: records read per query by Scan (memory is bounded by it).
  explicit MySqlTrailRepository(mysql::ConnectionPool& pool, int scan_page_rows = 5000)
      : pool_(pool), scan_page_rows_(scan_page_rows) {}

  absl::StatusOr<AppendOutcome> Append(const std::vector<TrailRecord>& records, int64_t now_ms,
                                       const Hasher& hasher) override;
  absl::Status Scan(int64_t after_sequence,
                    const std::function<bool(const TrailRecord&)>& visit) override;
  absl::StatusOr<std::optional<TrailRecord>> Get(int64_t sequence) override;
  absl::StatusOr<std::vector<TrailRecord>> List(const RecordFilter& filter) override;
  absl::StatusOr<ChainHead> HeadBefore(int64_t before_ms) override;
  absl::Status InsertCheckpoint(const Checkpoint& checkpoint) override;
  absl::StatusOr<std::optional<Checkpoint>> GetCheckpoint(const std::string& date) override;
  absl::StatusOr<std::vector<Checkpoint>> ListCheckpoints(const std::string& from_date,
                                                          const std::string& to_date,
                                                          int limit) override;

 private:
  mysql::ConnectionPool& pool_;
  int scan_page_rows_;
};

}  // namespace jifen::audit
