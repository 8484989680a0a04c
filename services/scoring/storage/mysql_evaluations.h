// Group mutual evaluation rounds in MariaDB: opening (idempotent on the client's round id),
// ratings (one submission per rater group), closing (results, ranks and the ledger credits of the
// awarded groups' households in one transaction under the village's ledger lock) and reading.
#pragma once

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "common/mysql/connection_pool.h"
#include "jifen/scoring/v1/assessment.pb.h"
#include "services/scoring/domain/household.h"
#include "services/scoring/storage/mysql_ledger.h"

namespace jifen::scoring {

class MySqlEvaluations final {
 public:
  MySqlEvaluations(mysql::ConnectionPool& pool, MySqlLedger& ledger, HouseholdDirectory& households)
      : pool_(pool), ledger_(ledger), households_(households) {}

  // Village admin only. The same id and definition again returns the round (as it is now);
  // another definition is ALREADY_EXISTS "ROUND_ID_REUSED". Validation: evaluation_rules.h;
  // FAILED_PRECONDITION "NO_RULEBOOK" / "PERIOD_FINAL"; INVALID_ARGUMENT "UNKNOWN_ITEM".
  absl::StatusOr<v1::EvaluationRound> Open(const auth::Caller& caller,
                                           const v1::EvaluationRound& round);

  // One rater group's ratings (see SubmitRatingsRequest). NOT_FOUND for an unknown round.
  absl::Status SubmitRatings(const auth::Caller& caller, const v1::SubmitRatingsRequest& request);

  // Village admin only. Computes, ranks and credits once; a closed round is returned unchanged.
  absl::StatusOr<v1::EvaluationRound> Close(const auth::Caller& caller,
                                            const v1::CloseRoundRequest& request);

  // Anyone who may read the round's village (residents and staff of it, its town, district roles,
  // services).
  absl::StatusOr<v1::EvaluationRound> Get(const auth::Caller& caller,
                                          const v1::GetRoundRequest& request);
  // The village's rounds, most recently opened first (at most 100); PERMISSION_DENIED outside
  // the caller's village (GetRound's readers).
  absl::StatusOr<v1::ListRoundsResponse> List(const auth::Caller& caller,
                                              const v1::ListRoundsRequest& request);

 private:
  mysql::ConnectionPool& pool_;
  MySqlLedger& ledger_;
  HouseholdDirectory& households_;
};

}  // namespace jifen::scoring
