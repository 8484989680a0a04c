#include "services/redemption/domain/validation.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/text/text.h"
#include "services/redemption/domain/redemption_service.h"

namespace jifen::redemption {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// C0 controls and DEL (one byte), C1 controls U+0080..U+009F (C2 80..C2 9F).
bool IsControl(absl::string_view character, bool allow_line_breaks) {
  if (character.size() == 1) {
    const unsigned char byte = static_cast<unsigned char>(character[0]);
    if (allow_line_breaks && (byte == '\n' || byte == '\r' || byte == '\t')) return false;
    return byte < 0x20 || byte == 0x7F;
  }
  return character.size() == 2 && static_cast<unsigned char>(character[0]) == 0xC2 &&
         static_cast<unsigned char>(character[1]) < 0xA0;
}

absl::Status CheckCharacters(absl::string_view field, absl::string_view text, int max_chars,
                             bool allow_line_breaks) {
  const int length = text::Utf8Length(text);
  if (length < 0) return Invalid(field, "not valid UTF-8");
  if (length > max_chars) {
    return Invalid(field, absl::StrCat("at most ", max_chars, " characters, not ", length));
  }
  for (absl::string_view character : text::Utf8Characters(text)) {
    if (IsControl(character, allow_line_breaks)) {
      return Invalid(field, "contains a control character");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> CleanName(absl::string_view field, absl::string_view text,
                                      int max_chars) {
  const absl::string_view name = text::TrimSpaces(text);
  if (name.empty()) return Invalid(field, absl::StrCat("required, 1..", max_chars, " characters"));
  RETURN_IF_ERROR(CheckCharacters(field, name, max_chars, /*allow_line_breaks=*/false));
  return std::string(name);
}

absl::Status CheckText(absl::string_view field, absl::string_view text, int max_chars,
                       bool required) {
  if (required && text::IsBlank(text)) {
    return Invalid(field, absl::StrCat("required, 1..", max_chars, " characters, not only spaces"));
  }
  return CheckCharacters(field, text, max_chars, /*allow_line_breaks=*/true);
}

absl::Status ValidateItem(StoreItem& item) {
  if (item.village_id <= 0) return Invalid("village_id", "required");
  ASSIGN_OR_RETURN(item.name, CleanName("name", item.name, 100));
  RETURN_IF_ERROR(CheckText("description", item.description, 2000, /*required=*/false));
  if (!item.photo_ref.empty() && !text::IsLowercaseSha256Hex(item.photo_ref)) {
    return Invalid("photo_ref",
                   "not a photo reference: upload the photo first (POST /v1/photos) and send the "
                   "photo_ref it answers");
  }
  if (item.price_points <= 0 || item.price_points > kMaxPricePoints) {
    return Invalid("price_points", "1..1000000");
  }
  if (item.stock < 0 || item.stock > kMaxStock) return Invalid("stock", "0..1000000");
  if (item.value_fen < 0 || item.value_fen > kMaxValueFen) {
    return Invalid("value_fen", "0..100000000");
  }
  if (item.funding_source_id < 0) return Invalid("funding_source_id", "must be >= 0");
  if (item.on_sale_from_ms < 0 || item.on_sale_until_ms < 0 ||
      (item.on_sale_from_ms > 0 && item.on_sale_until_ms > 0 &&
       item.on_sale_until_ms <= item.on_sale_from_ms)) {
    return Invalid("on_sale_until_ms", "must be after on_sale_from_ms (or 0)");
  }
  if (item.limit_per_household < 0 || item.limit_per_household > kMaxLimitPerHousehold) {
    return Invalid("limit_per_household", "0..1000");
  }
  return absl::OkStatus();
}

}  // namespace jifen::redemption
