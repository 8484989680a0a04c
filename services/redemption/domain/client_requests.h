// Retry-safe store and funding writes. A phone in a village loses answers and retries; a write that
// creates or changes something (CreateItem, RestockItem, CreateFundingSource, RecordDonation)
// therefore carries an id its client generated once for it, as orders carry their order id. The
// same id with the same payload is a retry: the first write's object is answered and nothing is
// written again. The same id with another payload is a mistake: IDEMPOTENCY_CONFLICT.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "services/redemption/domain/model.h"

namespace jifen::redemption {

// 8..64 characters of [A-Za-z0-9_-] (a UUID fits), like order ids.
bool IsValidClientRequestId(absl::string_view id);

// Each write as a ClientRequest: its kind and every field that makes it what it is, in a form in
// which no field can run into the next. Built from validated (trimmed) input.
ClientRequest RequestToCreateItem(const std::string& client_request_id, const StoreItem& item);
ClientRequest RequestToRestock(const std::string& client_request_id, int64_t village_id,
                               int64_t item_id, int64_t delta, absl::string_view reason);
ClientRequest RequestToCreateFundingSource(const std::string& client_request_id,
                                           const FundingSource& source);
ClientRequest RequestToRecordDonation(const std::string& client_request_id,
                                      const Donation& donation);

}  // namespace jifen::redemption
