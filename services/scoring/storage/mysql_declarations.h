// Self-declarations in MariaDB. Submission is retry-safe by the client's declaration id (like
// inspections); approval writes the ledger entry, the review and its audit record in one
// transaction under the village's ledger lock.
#pragma once

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "common/mysql/connection_pool.h"
#include "jifen/scoring/v1/assessment.pb.h"
#include "services/scoring/domain/household.h"
#include "services/scoring/storage/mysql_ledger.h"

namespace jifen::scoring {

class MySqlDeclarations final {
 public:
  MySqlDeclarations(mysql::ConnectionPool& pool, MySqlLedger& ledger,
                    HouseholdDirectory& households)
      : pool_(pool), ledger_(ledger), households_(households) {}

  // A resident's declaration for their own household, PENDING. A retry (same id, payload and
  // account) writes nothing and returns the declaration as it is now; ALREADY_EXISTS
  // "DECLARATION_ID_REUSED" for the same id with another payload or account; PERMISSION_DENIED
  // for anyone but a resident of the household; the domain's validation errors
  // (declaration_rules.h); FAILED_PRECONDITION "PERIOD_FINAL" / "NO_RULEBOOK".
  absl::StatusOr<v1::Declaration> Submit(const auth::Caller& caller,
                                         const v1::SubmitDeclarationRequest& request);

  // The village admin's approval (entry written, caps checked now) or rejection (reason required).
  // See PlanReview for repeated and conflicting reviews. NOT_FOUND for an unknown id.
  absl::StatusOr<v1::Declaration> Review(const auth::Caller& caller,
                                         const v1::ReviewDeclarationRequest& request);

  // Newest first, at most 500. Residents see their own household's only.
  absl::StatusOr<v1::ListDeclarationsResponse> List(const auth::Caller& caller,
                                                    const v1::ListDeclarationsRequest& request);

 private:
  mysql::ConnectionPool& pool_;
  MySqlLedger& ledger_;
  HouseholdDirectory& households_;
};

}  // namespace jifen::scoring
