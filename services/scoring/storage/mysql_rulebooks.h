// Rulebooks in MariaDB. Published rulebooks are immutable (also enforced by triggers).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/mysql/connection_pool.h"
#include "services/scoring/domain/rulebook.h"
#include "services/scoring/storage/audit_outbox.h"

namespace sql {
class Connection;
}

namespace jifen::scoring {

inline constexpr int kRulebookDraft = 1;
inline constexpr int kRulebookPublished = 2;

// Who makes a change, for its audit record.
struct Actor {
  std::string user_id;
  std::string role;
  std::string request_id{};  // the request that makes the change, for its audit record
};

struct RulebookRecord {
  int64_t rulebook_id = 0;
  int64_t village_id = 0;
  int year = 0;
  int version = 0;
  std::string effective_from;  // YYYY-MM-DD
  int state = kRulebookDraft;
  std::optional<VoteRecord> vote;
  int64_t published_at_ms = 0;
  std::vector<RuleItemSpec> items;  // ordered by code
};

class MySqlRulebooks final {
 public:
  explicit MySqlRulebooks(mysql::ConnectionPool& pool) : pool_(pool) {}

  // NOT_FOUND if absent.
  absl::StatusOr<RulebookRecord> Get(int64_t rulebook_id);
  // The newest published district template.
  absl::StatusOr<RulebookRecord> Template();
  // The published village rulebook in force on `date` (YYYY-MM-DD). FAILED_PRECONDITION
  // "NO_RULEBOOK" when the village has none for that date.
  absl::StatusOr<RulebookRecord> InForce(int64_t village_id, const std::string& date);
  // Same, on the caller's connection (inside a transaction).
  static absl::StatusOr<RulebookRecord> InForceOn(sql::Connection& connection, int64_t village_id,
                                                  const std::string& date);
  // A rulebook with its items on the caller's connection; NOT_FOUND if absent.
  static absl::StatusOr<RulebookRecord> Load(sql::Connection& connection, int64_t rulebook_id);
  absl::StatusOr<std::vector<RulebookRecord>> List(int64_t village_id, int year);  // no items

  // A new draft for the village and year with the template's items. FAILED_PRECONDITION when
  // effective_from is not after the latest published version's, or (a version being published
  // already) before today (CheckNewVersionStart).
  absl::StatusOr<RulebookRecord> CreateDraft(int64_t village_id, int year,
                                             const std::string& effective_from, int64_t now_ms,
                                             const Actor& actor);
  // Draft only: FAILED_PRECONDITION "RULEBOOK_PUBLISHED" otherwise.
  absl::StatusOr<RulebookRecord> PutItem(int64_t rulebook_id, const RuleItemSpec& item,
                                         const Actor& actor);
  absl::StatusOr<RulebookRecord> RemoveItem(int64_t rulebook_id, const std::string& code,
                                            const Actor& actor);
  absl::StatusOr<RulebookRecord> RecordVote(int64_t rulebook_id, const VoteRecord& vote,
                                            const Actor& actor);
  // Requires a valid adopting vote and at least one item, and a start after the latest published
  // version's and, replacing one, from today and after every deed scored (CheckNewVersionStart).
  absl::StatusOr<RulebookRecord> Publish(int64_t rulebook_id, int64_t now_ms, const Actor& actor);

 private:
  mysql::ConnectionPool& pool_;
};

// Published rulebooks by id, kept in memory for scoring deeds: a published rulebook never changes
// (the code and the database's triggers refuse it), so an entry never goes stale. Drafts are not
// kept. Thread-safe.
class PublishedRulebookCache final {
 public:
  // The published rulebook `rulebook_id`, read on `connection` the first time.
  absl::StatusOr<std::shared_ptr<const RulebookRecord>> Get(sql::Connection& connection,
                                                           int64_t rulebook_id);

 private:
  // A bound on memory; a district has a few hundred villages with a few versions a year each.
  static constexpr size_t kMaxRulebooks = 4096;
  absl::Mutex mutex_;
  absl::flat_hash_map<int64_t, std::shared_ptr<const RulebookRecord>> by_id_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace jifen::scoring
