// Every showing of full (unmasked) personal data is itself on the audit trail (PIPL; domain.md
// "Privacy"): who saw which households' names and phones, through which call, when. A handler
// records the view before it answers with the data, and answers with nothing when the record
// cannot be written. Masked views are not recorded: they show nothing personal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/scoring/domain/registry_model.h"

namespace jifen::scoring {

struct FullPersonalDataView {
  int64_t village_id = 0;
  std::string rpc;       // the call that showed the data: "GetHousehold", "ListHouseholds"
  std::string token_id;  // the viewer's token (jti), to trace what a leaked token was used for
  // One household with its members (GetHousehold): head, member names and phones.
  int64_t household_id = 0;
  std::vector<int64_t> member_ids;
  // A page of the village's households (ListHouseholds): head names. The filters as asked
  // (0: off) and the households shown, by id.
  int64_t group_id = 0;
  int64_t grid_id = 0;
  std::vector<int64_t> household_ids;
};

class PersonalDataViewLog {
 public:
  virtual ~PersonalDataViewLog() = default;
  // Writes the view's audit record durably (the outbox, committed). The record names people by id
  // only. UNAVAILABLE / ABORTED when the database is unreachable or busy, INTERNAL otherwise.
  virtual absl::Status Record(const RegistryActor& viewer, const FullPersonalDataView& view) = 0;
};

}  // namespace jifen::scoring
