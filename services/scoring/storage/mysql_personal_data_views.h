// The audit record of a full personal data view ("view_personal_data"), in scoring's audit outbox,
// from where the relay takes it to jifen-audit like every other record of the service.
#pragma once

#include "common/audit/audit_outbox.h"
#include "common/mysql/connection_pool.h"
#include "services/scoring/domain/personal_data_views.h"

namespace jifen::scoring {

// "view_personal_data" on household <id> (one household and its members) or on village <id> (a
// page of its households). `after` names what was shown: the call, the fields, the token and the
// ids (as ranges, "101-120,131", shortened with "…" past the inline limit; the count and the
// first and last id are always there).
audit::AuditFacts PersonalDataViewAudit(const RegistryActor& viewer,
                                        const FullPersonalDataView& view);

class MySqlPersonalDataViewLog final : public PersonalDataViewLog {
 public:
  explicit MySqlPersonalDataViewLog(mysql::ConnectionPool& pool) : pool_(pool) {}

  absl::Status Record(const RegistryActor& viewer, const FullPersonalDataView& view) override;

 private:
  mysql::ConnectionPool& pool_;
};

}  // namespace jifen::scoring
