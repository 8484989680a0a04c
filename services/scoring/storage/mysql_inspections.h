// Inspections: validated against the rulebook in force and written with their ledger entries and
// audit record in one transaction. The client's inspection id makes retries free of effect.
#pragma once

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "common/mysql/connection_pool.h"
#include "jifen/scoring/v1/assessment.pb.h"
#include "services/scoring/domain/household.h"
#include "services/scoring/storage/mysql_ledger.h"
#include "services/scoring/storage/mysql_rulebooks.h"

namespace jifen::scoring {

class MySqlInspections final {
 public:
  MySqlInspections(mysql::ConnectionPool& pool, MySqlLedger& ledger,
                   HouseholdDirectory& households, PublishedRulebookCache& rulebooks)
      : pool_(pool), ledger_(ledger), households_(households), rulebooks_(rulebooks) {}

  // The first answer for this inspection id (a retry gets it unchanged, nothing written);
  // ALREADY_EXISTS "INSPECTION_ID_REUSED" for the same id with another payload or author;
  // PERMISSION_DENIED for a household outside the caller's grid/team/village; the domain's
  // validation errors (inspection_rules.h); FAILED_PRECONDITION "PERIOD_FINAL" for a deed in a
  // settled period and "NO_RULEBOOK" when none is in force on the deed's date.
  absl::StatusOr<v1::SubmitInspectionResponse> Submit(const auth::Caller& caller,
                                                      const v1::SubmitInspectionRequest& request);

 private:
  mysql::ConnectionPool& pool_;
  MySqlLedger& ledger_;
  HouseholdDirectory& households_;
  PublishedRulebookCache& rulebooks_;
};

}  // namespace jifen::scoring
