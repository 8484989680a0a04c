#include "services/redemption/storage/statement_cache.h"

#include <utility>

namespace jifen::redemption {

StatementCache::Scope StatementCache::Use(sql::Connection& connection) {
  PerConnection* entry;
  {
    absl::MutexLock lock(&mutex_);
    std::unique_ptr<PerConnection>& slot = connections_[&connection];
    if (slot == nullptr) slot = std::make_unique<PerConnection>();
    entry = slot.get();
  }
  const uint64_t generation = generation_.load();
  if (entry->generation != generation) {
    // Statements of an earlier connection at this address, or from before a connection error.
    // No result of this connection is open at the start of a body, so they can go.
    entry->statements.clear();
    entry->generation = generation;
  }
  return Scope(connection, *entry);
}

CachedStatement StatementCache::Scope::operator()(const std::string& sql_text) {
  std::unique_ptr<sql::PreparedStatement>& statement = entry_.statements[sql_text];
  if (statement == nullptr) statement.reset(connection_.prepareStatement(sql_text));
  return CachedStatement(*statement);
}

}  // namespace jifen::redemption
