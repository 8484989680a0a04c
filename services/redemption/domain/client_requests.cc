#include "services/redemption/domain/client_requests.h"

#include <initializer_list>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jifen::redemption {
namespace {

// "<bytes>:<field>;" per field: a length prefix keeps "ab","c" apart from "a","bc" whatever the
// fields hold.
std::string Canonical(std::initializer_list<absl::string_view> fields) {
  std::string out;
  for (absl::string_view field : fields) absl::StrAppend(&out, field.size(), ":", field, ";");
  return out;
}

std::string Num(int64_t value) { return absl::StrCat(value); }

}  // namespace

bool IsValidClientRequestId(absl::string_view id) {
  if (id.size() < 8 || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

ClientRequest RequestToCreateItem(const std::string& client_request_id, const StoreItem& item) {
  return {client_request_id, "create_item",
          Canonical({Num(item.village_id), item.name, item.description, item.photo_ref,
                     Num(item.price_points), Num(item.stock), Num(item.value_fen),
                     Num(item.funding_source_id), Num(item.on_sale_from_ms),
                     Num(item.on_sale_until_ms), Num(item.limit_per_household),
                     Num(static_cast<int>(item.limit_period)), item.active ? "1" : "0"})};
}

ClientRequest RequestToRestock(const std::string& client_request_id, int64_t village_id,
                               int64_t item_id, int64_t delta, absl::string_view reason) {
  return {client_request_id, "restock_item",
          Canonical({Num(village_id), Num(item_id), Num(delta), reason})};
}

ClientRequest RequestToCreateFundingSource(const std::string& client_request_id,
                                           const FundingSource& source) {
  return {client_request_id, "create_funding_source",
          Canonical({Num(source.village_id), Num(source.year), Num(static_cast<int>(source.kind)),
                     source.name, Num(source.committed_fen)})};
}

ClientRequest RequestToRecordDonation(const std::string& client_request_id,
                                      const Donation& donation) {
  return {client_request_id, "record_donation",
          Canonical({Num(donation.village_id), Num(donation.funding_source_id), donation.donor,
                     Num(donation.amount_fen), donation.donated_on, donation.note})};
}

}  // namespace jifen::redemption
