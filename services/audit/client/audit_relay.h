// What a service runs to deliver its outbox to the audit trail: one relay thread reading the
// service's "audit" outbox rows and sending them through AuditSink. Audit being down only delays
// records (the relay retries); nothing is lost because the rows stay until acknowledged.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/mysql/connection_pool.h"
#include "common/outbox/outbox.h"
#include "services/audit/client/audit_sink.h"

namespace jifen::audit {

class AuditRelay final {
 public:
  // Reads the service token from `service_token_file` (INVALID_ARGUMENT if unreadable or empty)
  // and starts relaying to `audit_address`.
  static absl::StatusOr<std::unique_ptr<AuditRelay>> Start(mysql::ConnectionPool& pool,
                                                           const std::string& audit_address,
                                                           const std::string& service_token_file);
  ~AuditRelay();

  // Wakes the relay now (after a commit) instead of at its next poll.
  void Notify() { relay_->Notify(); }

 private:
  AuditRelay() = default;
  std::unique_ptr<AuditSink> sink_;
  std::unique_ptr<outbox::Relay> relay_;
};

}  // namespace jifen::audit
