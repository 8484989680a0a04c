#include "common/mysql/statement_cache.h"

#include <cppconn/exception.h>

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace jifen::mysql {
namespace {

using Statements = absl::flat_hash_map<std::string, std::shared_ptr<CachedStatementSlot>>;

struct Registry {
  absl::Mutex mutex;
  // The map is guarded by the mutex; each Statements is used only by its connection's holder.
  absl::flat_hash_map<const sql::Connection*, std::unique_ptr<Statements>> connections
      ABSL_GUARDED_BY(mutex);
};

Registry& registry() {
  static Registry* const instance = new Registry;  // never destroyed: used until exit
  return *instance;
}

Statements* StatementsOf(const sql::Connection& connection) {
  Registry& r = registry();
  absl::MutexLock lock(&r.mutex);
  auto found = r.connections.find(&connection);
  return found == r.connections.end() ? nullptr : found->second.get();
}

}  // namespace

void StatementCache::Attach(const sql::Connection& connection) {
  Registry& r = registry();
  absl::MutexLock lock(&r.mutex);
  r.connections[&connection] = std::make_unique<Statements>();
}

void StatementCache::Detach(const sql::Connection& connection) {
  std::unique_ptr<Statements> statements;
  {
    Registry& r = registry();
    absl::MutexLock lock(&r.mutex);
    auto found = r.connections.find(&connection);
    if (found == r.connections.end()) return;
    statements = std::move(found->second);
    r.connections.erase(found);
  }
  // Closing a statement of a dead connection may fail; the server forgets it with the session.
  try {
    statements.reset();
  } catch (const sql::SQLException&) {
  }
}

std::shared_ptr<CachedStatementSlot> StatementCache::Lend(sql::Connection& connection,
                                                          absl::string_view sql_text) {
  Statements* statements = StatementsOf(connection);
  if (statements == nullptr) return nullptr;
  auto found = statements->find(sql_text);
  if (found != statements->end()) {
    if (found->second->lent) return nullptr;
    found->second->lent = true;
    return found->second;
  }
  if (statements->size() >= kMaxStatementsPerConnection) return nullptr;
  auto slot = std::make_shared<CachedStatementSlot>();
  slot->statement.reset(connection.prepareStatement(std::string(sql_text)));
  slot->lent = true;
  statements->emplace(std::string(sql_text), slot);
  return slot;
}

}  // namespace jifen::mysql
