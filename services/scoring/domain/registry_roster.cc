#include "services/scoring/domain/registry_roster.h"

#include <array>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/scoring/domain/registry_privacy.h"

namespace jifen::scoring {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";

enum Column {
  kGroup,
  kHouseNumber,
  kHeadName,
  kMemberName,
  kPhone,
  kKind,
  kConsentDate,
  kRentsOut,
  kGrid,
  kSteward,
  kStaffAccount,
  kColumnCount,
};

struct ColumnSpec {
  Column column;
  bool required;
  const char* display;  // the Chinese name, for messages
  std::vector<absl::string_view> names;
};

const std::vector<ColumnSpec>& ColumnSpecs() {
  static const auto* const kSpecs = new std::vector<ColumnSpec>{
      {kGroup, true, "村民小组", {"村民小组", "小组", "group"}},
      {kHouseNumber, true, "门牌号", {"门牌号", "house_number"}},
      {kHeadName, true, "户主", {"户主", "户主姓名", "head_name"}},
      {kMemberName, true, "成员", {"成员", "成员姓名", "姓名", "member_name"}},
      {kPhone, false, "手机号", {"手机号", "手机", "电话", "phone"}},
      {kKind, false, "户籍类型", {"户籍类型", "类型", "kind"}},
      {kConsentDate, false, "同意日期", {"同意日期", "consent_date"}},
      {kRentsOut, false, "出租", {"出租", "是否出租", "rents_out"}},
      {kGrid, false, "网格", {"网格", "grid"}},
      {kSteward, false, "户管家", {"户管家", "steward"}},
      // The member's own staff account, when the villager is also a grid worker or cadre.
      {kStaffAccount, false, "工作账号", {"工作账号", "工作人员账号", "staff_user_id"}},
  };
  return *kSpecs;
}

const ColumnSpec* FindColumn(absl::string_view header) {
  const std::string lowered = absl::AsciiStrToLower(TrimSpaces(header));
  for (const ColumnSpec& spec : ColumnSpecs()) {
    for (absl::string_view name : spec.names) {
      if (lowered == name) return &spec;
    }
  }
  return nullptr;
}

// The position of each known column in the file, or -1.
using ColumnMap = std::array<int, kColumnCount>;

std::optional<bool> ParseKind(absl::string_view text) {  // true: registered
  const std::string value = absl::AsciiStrToLower(TrimSpaces(text));
  if (value.empty() || value == "本村" || value == "本村居民" || value == "registered") return true;
  if (value == "非本村" || value == "非本村居民" || value == "non_registered" ||
      value == "non-registered") {
    return false;
  }
  return std::nullopt;
}

std::optional<bool> ParseYesNo(absl::string_view text) {
  const std::string value = absl::AsciiStrToLower(TrimSpaces(text));
  if (value.empty() || value == "否" || value == "no" || value == "n" || value == "false" ||
      value == "0") {
    return false;
  }
  if (value == "是" || value == "yes" || value == "y" || value == "true" || value == "1") {
    return true;
  }
  return std::nullopt;
}

// One validated data row.
struct Row {
  int line = 0;
  // False when the record itself is malformed (a stray quote, a wrong number of cells): its cells
  // cannot be told apart, so nothing else is said about it.
  bool readable = true;
  std::array<bool, kColumnCount> invalid{};  // cells refused; their fields are left empty
  std::string group;
  std::string house_number;
  std::string head_name;
  std::string member_name;
  std::string phone;
  std::optional<bool> registered;  // unset when the cell was empty
  std::string consent_date;
  std::optional<bool> rents_out;  // unset when the cell was empty
  std::string grid;
  std::string steward;
  std::string staff_user_id;
};

// Validates one record against the header; returns the row or the reasons it is refused.
std::pair<Row, std::vector<std::string>> ValidateRecord(const CsvRecord& record,
                                                        const ColumnMap& columns,
                                                        size_t header_size,
                                                        absl::string_view today) {
  Row row;
  row.line = record.line;
  std::vector<std::string> errors;
  row.readable = false;
  if (!record.error.empty()) return {row, {record.error}};
  size_t used = record.fields.size();
  while (used > header_size && TrimSpaces(record.fields[used - 1]).empty()) --used;
  if (used != header_size) {
    return {row, {absl::StrCat("列数为", used, "，与表头的", header_size, "列不符")}};
  }
  row.readable = true;
  const auto cell = [&](Column column) -> absl::string_view {
    const int index = columns[column];
    if (index < 0 || static_cast<size_t>(index) >= record.fields.size()) return "";
    return record.fields[index];
  };
  const auto refuse = [&](Column column, std::string error) {
    row.invalid[column] = true;
    errors.push_back(std::move(error));
  };
  const auto take = [&](Column column, absl::StatusOr<std::string> value, std::string& out) {
    if (value.ok()) {
      out = *std::move(value);
    } else {
      refuse(column, std::string(value.status().message()));
    }
  };
  take(kGroup, CleanName(cell(kGroup), "村民小组"), row.group);
  take(kHouseNumber, CleanHouseNumber(cell(kHouseNumber)), row.house_number);
  // The head may be left empty on a household's later rows; its first row must name it.
  if (!TrimSpaces(cell(kHeadName)).empty()) {
    take(kHeadName, CleanName(cell(kHeadName), "户主"), row.head_name);
  }
  take(kMemberName, CleanName(cell(kMemberName), "成员姓名"), row.member_name);
  if (!TrimSpaces(cell(kPhone)).empty()) take(kPhone, NormalizePhone(cell(kPhone)), row.phone);
  if (!TrimSpaces(cell(kKind)).empty()) {
    row.registered = ParseKind(cell(kKind));
    if (!row.registered.has_value()) {
      refuse(kKind, absl::StrCat("户籍类型“", cell(kKind), "”无效：应为本村或非本村"));
    }
  }
  if (!TrimSpaces(cell(kConsentDate)).empty()) {
    take(kConsentDate, NormalizeConsentDate(cell(kConsentDate), today), row.consent_date);
  }
  if (!TrimSpaces(cell(kRentsOut)).empty()) {
    row.rents_out = ParseYesNo(cell(kRentsOut));
    if (!row.rents_out.has_value()) {
      refuse(kRentsOut, absl::StrCat("出租“", cell(kRentsOut), "”无效：应为是或否"));
    }
  }
  if (!TrimSpaces(cell(kGrid)).empty()) take(kGrid, CleanName(cell(kGrid), "网格"), row.grid);
  take(kSteward, CleanUserId(cell(kSteward), "户管家"), row.steward);
  take(kStaffAccount, CleanUserId(cell(kStaffAccount), "工作账号"), row.staff_user_id);
  return {row, errors};
}

void Refuse(RosterRowReport& report, const std::vector<std::string>& errors) {
  if (errors.empty()) return;
  report.ok = false;
  if (!report.error.empty()) report.error += "；";
  report.error += absl::StrJoin(errors, "；");
}

// A name as a row of the file spells it, and that row's line.
struct Spelling {
  std::string text;
  int line = 0;
};

// What the file says of one household so far. A field is unknown (nullopt) until a row naming
// the household gives a valid value for it, so that a refused cell does not make later rows look
// inconsistent; an empty cell on the household's first row is a value (the default).
struct HouseholdFacts {
  int first_line = 0;
  std::string group;
  std::string house_number;
  std::optional<std::string> head_name;  // never empty when known
  std::optional<bool> registered;
  std::optional<std::string> consent_date;
  std::optional<bool> rents_out;
  std::optional<std::string> grid;
  std::optional<std::string> steward;
  std::vector<RosterMember> members;        // of rows without any problem
  std::map<std::string, Spelling> member_lines;  // NameKey of every valid member name -> its first
  std::vector<size_t> reports;              // indexes into ParsedRoster::rows
};

// A household field as the first row naming the household gives it: unknown when its cell was
// refused.
template <typename T>
std::optional<T> FirstValue(bool invalid, T value) {
  if (invalid) return std::nullopt;
  return value;
}

// A later row's field: empty leaves the household's as it is; a value must equal the household's
// when that is known, and makes it known otherwise.
template <typename T>
void SameOrFill(bool given, const T& value, std::optional<T>& known, const HouseholdFacts& facts,
                const char* what, std::vector<std::string>& errors) {
  if (!given) return;
  if (!known.has_value()) {
    known = value;
  } else if (*known != value) {
    errors.push_back(absl::StrCat("与第", facts.first_line, "行同户的", what, "不一致"));
  }
}

// Groups rows into households by (group, house number) and finds every problem a row has with the
// household it names, also when the row has problems of its own. Group names, house numbers and
// member names are told apart as the database's unique keys tell them (NameKey): "A1" and "a1"
// are one house number there, so here too, and a row spelling a name differently from an earlier
// row is refused, rather than the import failing as a whole when the database refuses it.
class Households {
 public:
  // Adds `row` (whose own cells gave `errors`) to the household it names; appends the problems
  // it has with that household to `errors`. The member is kept only when `errors` ends empty.
  void Add(const Row& row, size_t report, std::vector<std::string>& errors) {
    auto [group, new_group] =
        group_spellings_.try_emplace(NameKey(row.group), Spelling{row.group, row.line});
    if (!new_group && group->second.text != row.group) {
      errors.push_back(absl::StrCat("村民小组“", row.group, "”与第", group->second.line, "行的“",
                                    group->second.text,
                                    "”仅大小写或空格不同，系统视为同一小组，请统一写法"));
    }
    const auto key = std::make_pair(group->first, NameKey(row.house_number));
    auto [found, inserted] = index_.try_emplace(key, households_.size());
    if (inserted) {
      households_.push_back(FirstRow(row, group->second.text));
    } else {
      HouseholdFacts& household = households_[found->second];
      if (household.house_number != row.house_number) {
        errors.push_back(absl::StrCat("门牌号“", row.house_number, "”与第", household.first_line,
                                      "行的“", household.house_number,
                                      "”仅大小写或空格不同，系统视为同一户，请统一写法"));
      }
      Later(row, household, errors);
    }
    HouseholdFacts& household = households_[found->second];
    household.reports.push_back(report);
    // Only the first row must name the head; later rows may leave it to that one.
    if (inserted && row.head_name.empty() && !row.invalid[kHeadName]) {
      errors.push_back("户主不能为空");
    }
    if (!row.invalid[kMemberName]) {
      auto [earlier, first] = household.member_lines.try_emplace(
          NameKey(row.member_name), Spelling{row.member_name, row.line});
      if (!first && earlier->second.text == row.member_name) {
        errors.push_back(
            absl::StrCat("成员“", row.member_name, "”与第", earlier->second.line, "行重复"));
      } else if (!first) {
        errors.push_back(absl::StrCat("成员“", row.member_name, "”与第", earlier->second.line,
                                      "行的“", earlier->second.text,
                                      "”仅大小写或空格不同，系统视为同一人"));
      } else if (household.member_lines.size() >
                 static_cast<size_t>(kRosterMembersPerHouseholdMax)) {
        errors.push_back(absl::StrCat("一户最多", kRosterMembersPerHouseholdMax, "名成员"));
      }
    }
    if (errors.empty()) {
      // The head is unknown only when the first row was refused: then nothing is written. Names
      // are compared as everywhere in the roster (NameKey): head "Tom" is member "tom".
      const bool is_head = household.head_name.has_value() &&
                           NameKey(*household.head_name) == NameKey(row.member_name);
      household.members.push_back(
          {row.line, row.member_name, row.phone, is_head, row.staff_user_id});
    }
  }

  // The household-level rules, reported on each household's first row, and the households as a
  // plan (every household the file names, also those with refused rows: see ParsedRoster).
  RosterPlan Finish(std::vector<RosterRowReport>& rows) && {
    RosterPlan plan;
    for (HouseholdFacts& household : households_) {
      if (household.registered == false && household.consent_date == std::string()) {
        Refuse(rows[household.reports.front()], {"非本村居民须填写同意日期"});
      }
      RosterHousehold out;
      out.first_line = household.first_line;
      out.group_name = household.group;
      out.grid_name = household.grid.value_or("");
      out.house_number = household.house_number;
      out.head_name = household.head_name.value_or("");
      out.registered = household.registered.value_or(true);
      out.consent_date = household.consent_date.value_or("");
      out.rents_out_rooms = household.rents_out.value_or(false);
      out.steward_user_id = household.steward.value_or("");
      out.members = std::move(household.members);
      plan.households.push_back(std::move(out));
    }
    return plan;
  }

 private:
  // `group` is the group's name as the file first spells it.
  static HouseholdFacts FirstRow(const Row& row, const std::string& group) {
    HouseholdFacts household;
    household.first_line = row.line;
    household.group = group;
    household.house_number = row.house_number;
    if (!row.head_name.empty()) household.head_name = row.head_name;
    household.registered = FirstValue(row.invalid[kKind], row.registered.value_or(true));
    household.consent_date = FirstValue(row.invalid[kConsentDate], row.consent_date);
    household.rents_out = FirstValue(row.invalid[kRentsOut], row.rents_out.value_or(false));
    household.grid = FirstValue(row.invalid[kGrid], row.grid);
    household.steward = FirstValue(row.invalid[kSteward], row.steward);
    return household;
  }

  static void Later(const Row& row, HouseholdFacts& household, std::vector<std::string>& errors) {
    SameOrFill(!row.head_name.empty(), row.head_name, household.head_name, household, "户主",
               errors);
    SameOrFill(row.registered.has_value(), row.registered.value_or(true), household.registered,
               household, "户籍类型", errors);
    SameOrFill(!row.consent_date.empty(), row.consent_date, household.consent_date, household,
               "同意日期", errors);
    SameOrFill(row.rents_out.has_value(), row.rents_out.value_or(false), household.rents_out,
               household, "出租情况", errors);
    SameOrFill(!row.grid.empty(), row.grid, household.grid, household, "网格", errors);
    SameOrFill(!row.steward.empty(), row.steward, household.steward, household, "户管家", errors);
  }

  std::map<std::string, Spelling> group_spellings_;  // NameKey -> the file's first spelling
  // (NameKey of the group, NameKey of the house number) -> index into households_
  std::map<std::pair<std::string, std::string>, size_t> index_;
  std::vector<HouseholdFacts> households_;  // in order of first appearance
};

// The line of the first byte that is not valid UTF-8, or 0 if the text is valid.
int FirstInvalidUtf8Line(absl::string_view text) {
  if (Utf8Length(text) >= 0) return 0;
  int line = 1;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    if (Utf8Length(text.substr(start, end - start)) < 0) return line;
    start = end + 1;
    ++line;
  }
  return line;
}

bool IsBlank(const CsvRecord& record) {
  for (const std::string& field : record.fields) {
    if (!TrimSpaces(field).empty()) return false;
  }
  return record.error.empty();
}

}  // namespace

std::vector<CsvRecord> SplitCsv(absl::string_view text) {
  std::vector<CsvRecord> records;
  int line = 1;
  size_t i = 0;
  const auto at_line_end = [&](size_t k) {
    return k >= text.size() || text[k] == '\n' || text[k] == '\r';
  };
  // Consumes one line break at i (LF, CRLF or CR) and counts it.
  const auto consume_line_break = [&]() {
    if (i < text.size() && text[i] == '\r') ++i;
    if (i < text.size() && text[i] == '\n') ++i;
    ++line;
  };
  while (i < text.size()) {
    CsvRecord record;
    record.line = line;
    std::string field;
    bool done = false;
    while (!done) {
      if (i < text.size() && text[i] == '"') {
        ++i;
        bool closed = false;
        while (i < text.size()) {
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (text[i] == '\n' ||
              (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
            ++line;
          }
          field.push_back(text[i]);
          ++i;
        }
        if (!closed) {
          record.error = "引号未闭合（该行起至文件末尾无法解析）";
          record.fields.push_back(std::move(field));
          records.push_back(std::move(record));
          return records;
        }
        if (i < text.size() && text[i] != ',' && !at_line_end(i)) {
          record.error = "引号使用有误：右引号后应为逗号或行尾";
          while (!at_line_end(i)) ++i;
        }
      } else {
        while (i < text.size() && text[i] != ',' && !at_line_end(i)) {
          field.push_back(text[i]);
          ++i;
        }
      }
      record.fields.push_back(std::move(field));
      field.clear();
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      consume_line_break();
      done = true;
    }
    records.push_back(std::move(record));
  }
  return records;
}

absl::StatusOr<ParsedRoster> ParseRoster(absl::string_view csv, absl::string_view today) {
  if (csv.size() > kRosterBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("csv: 名册文件过大：", csv.size(), "字节，最多", kRosterBytesMax, "字节"));
  }
  absl::ConsumePrefix(&csv, kBom);
  ParsedRoster parsed;
  const auto file_error = [&](int line, std::string error) {
    parsed.rows.push_back({line, false, std::move(error)});
    return parsed;
  };
  if (const int bad_line = FirstInvalidUtf8Line(csv); bad_line > 0) {
    return file_error(bad_line, "文件不是UTF-8编码（请在表格软件中另存为“CSV UTF-8”）");
  }
  std::vector<CsvRecord> records = SplitCsv(csv);
  size_t first = 0;
  while (first < records.size() && IsBlank(records[first])) ++first;
  if (first == records.size()) return file_error(1, "文件为空：缺少表头");

  // The header.
  const CsvRecord& header = records[first];
  if (!header.error.empty()) return file_error(header.line, "表头：" + header.error);
  ColumnMap columns;
  columns.fill(-1);
  std::vector<std::string> header_errors;
  // Spreadsheets may end lines with empty cells: trailing empty columns don't count.
  size_t header_size = header.fields.size();
  while (header_size > 0 && TrimSpaces(header.fields[header_size - 1]).empty()) --header_size;
  for (size_t index = 0; index < header_size; ++index) {
    const absl::string_view name = TrimSpaces(header.fields[index]);
    const ColumnSpec* spec = FindColumn(name);
    if (name.empty()) {
      header_errors.push_back(absl::StrCat("第", index + 1, "列没有列名"));
    } else if (spec == nullptr) {
      header_errors.push_back(absl::StrCat("未知的列“", name, "”"));
    } else if (columns[spec->column] >= 0) {
      header_errors.push_back(absl::StrCat("列“", spec->display, "”重复"));
    } else {
      columns[spec->column] = static_cast<int>(index);
    }
  }
  for (const ColumnSpec& spec : ColumnSpecs()) {
    if (spec.required && columns[spec.column] < 0) {
      header_errors.push_back(absl::StrCat("缺少必填列“", spec.display, "”"));
    }
  }
  if (!header_errors.empty()) {
    return file_error(header.line, "表头：" + absl::StrJoin(header_errors, "；"));
  }

  // The rows, grouped into households by (group, house number). A row is refused for every
  // problem it has: its own cells, and its household's (unless its cells say which household).
  Households households;
  int data_rows = 0;
  for (size_t r = first + 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    if (IsBlank(record)) continue;
    if (++data_rows > kRosterRowsMax) {
      return absl::InvalidArgumentError(
          absl::StrCat("csv: 名册行数过多：最多", kRosterRowsMax, "行成员"));
    }
    parsed.rows.push_back({record.line, true, ""});
    auto [row, errors] = ValidateRecord(record, columns, header_size, today);
    if (row.readable && !row.invalid[kGroup] && !row.invalid[kHouseNumber]) {
      households.Add(row, parsed.rows.size() - 1, errors);
    }
    Refuse(parsed.rows.back(), errors);
  }
  if (data_rows == 0) return file_error(header.line, "名册没有成员行");

  parsed.plan = std::move(households).Finish(parsed.rows);
  parsed.all_ok = true;
  for (const RosterRowReport& report : parsed.rows) parsed.all_ok = parsed.all_ok && report.ok;
  return parsed;
}

void AddRosterConflicts(const std::vector<RosterConflict>& conflicts,
                        std::vector<RosterRowReport>& rows) {
  for (const RosterConflict& conflict : conflicts) {
    bool placed = false;
    for (RosterRowReport& report : rows) {
      if (report.line == conflict.line) {
        Refuse(report, {conflict.error});
        placed = true;
        break;
      }
    }
    if (!placed) rows.push_back({conflict.line, false, conflict.error});
  }
}

}  // namespace jifen::scoring
