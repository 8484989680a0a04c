#include "services/scoring/domain/declaration_rules.h"

#include "absl/strings/match.h"
#include "common/text/text.h"
#include "gtest/gtest.h"
#include "services/scoring/domain/period.h"

namespace jifen::scoring {
namespace {

using auth::Caller;
using auth::Role;

constexpr int64_t kVillage = 10;
constexpr int64_t kHousehold = 5000;

HouseholdRecord Household() {
  HouseholdRecord household;
  household.household_id = kHousehold;
  household.village_id = kVillage;
  household.group_id = 100;
  return household;
}

Caller Resident(int64_t household_id = kHousehold, int64_t village_id = kVillage) {
  Caller caller;
  caller.user_id = "resident-1";
  caller.role = Role::kResident;
  caller.village_id = village_id;
  caller.household_id = household_id;
  return caller;
}

Caller Admin() {
  Caller caller;
  caller.user_id = "admin-1";
  caller.role = Role::kVillageAdmin;
  caller.village_id = kVillage;
  return caller;
}

RuleItemSpec Item(const std::string& code, int64_t points, int64_t cap,
                  std::vector<std::string> roles) {
  RuleItemSpec item;
  item.code = code;
  item.name = "志愿服务";
  item.category = 6;
  item.scope = 5;
  item.points = points;
  item.cap_points_per_period = cap;
  item.allowed_roles = std::move(roles);
  return item;
}

std::map<std::string, RuleItemSpec> Items() {
  std::map<std::string, RuleItemSpec> items;
  items["ZY-01"] = Item("ZY-01", 2, 6, {"village_admin", "resident"});
  items["HJ-01"] = Item("HJ-01", 5, 30, {"grid_worker", "village_admin"});
  RuleItemSpec photo = Item("TS-01", 10, 0, {"resident"});
  photo.photo_required = true;
  items["TS-01"] = photo;
  RuleItemSpec rental = Item("CZ-09", 5, 0, {"resident"});
  rental.category = kCategoryRentalHousing;
  items["CZ-09"] = rental;
  return items;
}

const absl::Time kNow = absl::FromCivil(absl::CivilDay(2025, 8, 20), ShanghaiTime());

DeclarationInput Input(const std::string& item_code = "ZY-01") {
  DeclarationInput input;
  input.declaration_id = "decl-0000-0001";
  input.household = Household();
  input.item_code = item_code;
  input.occurred_at = kNow - absl::Hours(48);
  input.note = "清扫河道 2 小时";
  return input;
}

TEST(CheckCanDeclareTest, OnlyTheHouseholdsOwnResident) {
  EXPECT_TRUE(CheckCanDeclare(Resident(), Household()).ok());
  EXPECT_EQ(CheckCanDeclare(Resident(kHousehold + 1), Household()).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanDeclare(Resident(kHousehold, kVillage + 1), Household()).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanDeclare(Admin(), Household()).code(), absl::StatusCode::kPermissionDenied);
}

TEST(ValidateDeclarationTest, AcceptsAResidentItem) {
  EXPECT_TRUE(ValidateDeclaration(Input(), Items(), kNow).ok());
}

TEST(ValidateDeclarationTest, RefusesWhatResidentsCannotDeclare) {
  EXPECT_EQ(ValidateDeclaration(Input("XX-99"), Items(), kNow).code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status role = ValidateDeclaration(Input("HJ-01"), Items(), kNow);
  EXPECT_EQ(role.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(role.message().find("ITEM_NOT_DECLARABLE: item_code: "), absl::string_view::npos);
  EXPECT_EQ(ValidateDeclaration(Input("TS-01"), Items(), kNow).code(),
            absl::StatusCode::kInvalidArgument);
  DeclarationInput with_photo = Input("TS-01");
  with_photo.photo_refs.push_back(std::string(64, 'a'));
  EXPECT_TRUE(ValidateDeclaration(with_photo, Items(), kNow).ok());
  DeclarationInput made_up = Input("TS-01");
  made_up.photo_refs.push_back("abc");
  EXPECT_EQ(ValidateDeclaration(made_up, Items(), kNow).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateDeclaration(Input("CZ-09"), Items(), kNow).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ValidateDeclarationTest, RefusesBadIdsFutureDeedsAndLongNotes) {
  DeclarationInput input = Input();
  input.declaration_id = "short";
  EXPECT_EQ(ValidateDeclaration(input, Items(), kNow).code(), absl::StatusCode::kInvalidArgument);
  input = Input();
  input.occurred_at = kNow + absl::Hours(1);
  EXPECT_EQ(ValidateDeclaration(input, Items(), kNow).code(), absl::StatusCode::kInvalidArgument);
  input = Input();
  input.note = std::string(kMaxDeclarationText + 1, 'x');
  EXPECT_EQ(ValidateDeclaration(input, Items(), kNow).code(), absl::StatusCode::kInvalidArgument);
}

// The limit counts characters, not bytes: a resident writing Chinese gets every character the
// entry's reason has room for (each is three bytes of UTF-8; "自主申报: 志愿服务: " takes 12 of
// the 500), and a refusal names the field.
TEST(ValidateDeclarationTest, TheNoteLimitCountsCharacters) {
  DeclarationInput input = Input();
  input.note.clear();
  for (int i = 0; i < kMaxDeclarationText - 12; ++i) input.note += "净";
  EXPECT_TRUE(ValidateDeclaration(input, Items(), kNow).ok());
  input.note += "净";
  const absl::Status refused = ValidateDeclaration(input, Items(), kNow);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.message(), "NOTE_TOO_LONG: note:")) << refused.message();
}

TEST(PlanReviewTest, Transitions) {
  EXPECT_TRUE(*PlanReview(DeclarationState::kPending, true, ""));
  EXPECT_TRUE(*PlanReview(DeclarationState::kPending, false, "照片与申报不符"));
  // Repeats are no-ops.
  EXPECT_FALSE(*PlanReview(DeclarationState::kApproved, true, ""));
  EXPECT_FALSE(*PlanReview(DeclarationState::kRejected, false, "再次驳回"));
  // Conflicts.
  EXPECT_EQ(PlanReview(DeclarationState::kRejected, true, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PlanReview(DeclarationState::kApproved, false, "改为驳回").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A rejection needs a reason.
  EXPECT_EQ(PlanReview(DeclarationState::kPending, false, "  ").status().code(),
            absl::StatusCode::kInvalidArgument);
  // ... and full-width spaces (U+3000, what a Chinese input method types) are none.
  EXPECT_EQ(PlanReview(DeclarationState::kPending, false, "\xE3\x80\x80\xE3\x80\x80").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanReview(DeclarationState::kPending, true, std::string(501, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Approving a rejected declaration said DECLARATION_REVIEWED, whose message tells of points
// scored, though nothing was: each conflict has its own code.
TEST(PlanReviewTest, EachConflictHasItsOwnCode) {
  EXPECT_TRUE(absl::StartsWith(PlanReview(DeclarationState::kRejected, true, "").status().message(),
                               "DECLARATION_REJECTED: "));
  EXPECT_TRUE(absl::StartsWith(
      PlanReview(DeclarationState::kApproved, false, "改为驳回").status().message(),
      "DECLARATION_REVIEWED: "));
}

TEST(PlanDeclarationEntryTest, WritesTheItemsPointsAsADeclaration) {
  const absl::StatusOr<NewEntry> entry = PlanDeclarationEntry(Input(), Items(), {}, Admin());
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->village_id, kVillage);
  EXPECT_EQ(entry->household_id, kHousehold);
  EXPECT_EQ(entry->group_id, 100);
  EXPECT_EQ(entry->account, Account::kScore);
  EXPECT_EQ(entry->points, 2);
  EXPECT_EQ(entry->period, "2025Q3");
  EXPECT_EQ(entry->item_code, "ZY-01");
  EXPECT_EQ(entry->category, "volunteer_service");
  EXPECT_EQ(entry->source, EntrySource::kDeclaration);
  EXPECT_EQ(entry->source_id, "decl-0000-0001");
  EXPECT_EQ(entry->actor_user_id, "admin-1");
  EXPECT_EQ(entry->actor_role, "village_admin");
  EXPECT_EQ(entry->occurred_at_ms, absl::ToUnixMillis(Input().occurred_at));
  EXPECT_NE(entry->reason.find("清扫河道"), std::string::npos);
}

TEST(PlanDeclarationEntryTest, ABlankNoteLeavesTheItemNameAsTheReason) {
  DeclarationInput input = Input();
  input.note = "\xE3\x80\x80\xE3\x80\x80";  // full-width spaces
  const absl::StatusOr<NewEntry> entry = PlanDeclarationEntry(input, Items(), {}, Admin());
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->reason.find("\xE3\x80\x80"), std::string::npos) << entry->reason;
}

TEST(PlanDeclarationEntryTest, CapAppliesAtApproval) {
  EXPECT_TRUE(PlanDeclarationEntry(Input(), Items(), {{"ZY-01", 4}}, Admin()).ok());
  const absl::StatusOr<NewEntry> over =
      PlanDeclarationEntry(Input(), Items(), {{"ZY-01", 5}}, Admin());
  EXPECT_EQ(over.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(over.status().message().find("CAP_EXCEEDED"), absl::string_view::npos);
}

TEST(PlanDeclarationEntryTest, ItemGoneFromTheRulebookIsAPrecondition) {
  std::map<std::string, RuleItemSpec> items = Items();
  items.erase("ZY-01");
  const absl::StatusOr<NewEntry> gone = PlanDeclarationEntry(Input(), items, {}, Admin());
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(gone.status().message().find("ITEM_GONE"), absl::string_view::npos);
}

std::string Characters(const std::string& character, int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += character;
  return text;
}

// A note of 500 characters was accepted, then cut to 300 bytes (about 100 characters) in the
// ledger entry's reason without a word. Now what fits is the room the item's name leaves in the
// reason's 500 characters: "自主申报: 志愿服务: " takes 12, so 488 are accepted, 489 refused.
TEST(ValidateDeclarationTest, ANoteIsRefusedWhenItCannotFitTheEntrysReason) {
  DeclarationInput input = Input();
  input.note = Characters("扫", 488);
  EXPECT_TRUE(ValidateDeclaration(input, Items(), kNow).ok());
  input.note += "扫";
  const absl::Status refused = ValidateDeclaration(input, Items(), kNow);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.message(), "NOTE_TOO_LONG: note: at most 488 characters"))
      << refused.message();
  // Blank, a note adds nothing to the reason, however long.
  input.note = Characters(" ", 500);
  EXPECT_TRUE(ValidateDeclaration(input, Items(), kNow).ok());
}

TEST(PlanDeclarationEntryTest, TheWholeNoteReachesTheReason) {
  DeclarationInput input = Input();
  input.note = Characters("扫", 488);
  const absl::StatusOr<NewEntry> entry = PlanDeclarationEntry(input, Items(), {}, Admin());
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->reason, "自主申报: 志愿服务: " + input.note);
  EXPECT_EQ(text::Utf8Length(entry->reason), 500);
}

// Only a rulebook version published after the submission, renaming the item longer, leaves less
// room than the note had: the reason still fits its column, and shows that it was shortened.
TEST(PlanDeclarationEntryTest, ANoteShortenedByALongerItemNameSaysSo) {
  DeclarationInput input = Input();
  input.note = Characters("扫", 488);
  std::map<std::string, RuleItemSpec> renamed = Items();
  renamed["ZY-01"].name = "参加志愿服务(每次)";
  const absl::StatusOr<NewEntry> entry = PlanDeclarationEntry(input, renamed, {}, Admin());
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(text::Utf8Length(entry->reason), 500);
  EXPECT_TRUE(absl::StartsWith(entry->reason, "自主申报: 参加志愿服务(每次): 扫扫"));
  EXPECT_TRUE(absl::EndsWith(entry->reason, "扫…")) << entry->reason;
}

}  // namespace
}  // namespace jifen::scoring
