// Village roster import from CSV: parsing, per-row validation and grouping of rows into households.
//
// The file is UTF-8 (a leading BOM is skipped), RFC 4180 quoting (fields in double quotes may hold
// commas, doubled quotes and line breaks), lines end in LF or CRLF. The first line is the header;
// columns may come in any order and are named in Chinese or English (case-insensitive):
//
//   required  村民小组|小组|group · 门牌号|house_number · 户主|户主姓名|head_name ·
//             成员|成员姓名|姓名|member_name
//   optional  手机号|手机|电话|phone · 户籍类型|类型|kind (本村/本村居民/registered or
//             非本村/非本村居民/non_registered; empty = 本村) · 同意日期|consent_date (YYYY-MM-DD
//             or YYYY/M/D, not after today; required for 非本村) · 出租|是否出租|rents_out (是/否,
//             yes/no, 1/0; empty = 否) · 网格|grid (name of an existing grid of the village) ·
//             户管家|steward (account id)
//
// One row per member. Rows with the same group and house number (anywhere in the file) form one
// household; its fields come from its first row, and a later row must leave them empty or repeat
// them. Names are compared as the database compares them (ASCII letter case and trailing spaces
// aside: "A1" and "a1" are one house number), and a row spelling a group, house number or member
// name otherwise than an earlier row is refused. A member whose name equals the head's is the
// head. Blank lines are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/scoring/domain/registry_model.h"

namespace jifen::scoring {

inline constexpr size_t kRosterBytesMax = 4 << 20;  // 4 MiB, under gRPC's default message size
inline constexpr int kRosterRowsMax = 20000;        // member rows per file
inline constexpr int kRosterMembersPerHouseholdMax = 50;

struct RosterRowReport {
  int line = 0;  // 1-based line in the file where the row starts; the header is line 1
  bool ok = true;
  std::string error;  // Chinese, for the village admin; several reasons joined by "；"
};

struct ParsedRoster {
  // Every data row in file order; a problem with the file or the header is reported at its line
  // (the header's is line 1) and no data rows follow it.
  std::vector<RosterRowReport> rows;
  // Every household the file names (in order of first appearance), also those with refused rows,
  // so that they are checked against the registry too and one report names every problem. Write
  // it only when every row is ok (all_ok); with refused rows it is for a dry run only.
  RosterPlan plan;
  bool all_ok = false;
};

// Parses and validates a roster; `today` ("YYYY-MM-DD", Shanghai) bounds consent dates.
// INVALID_ARGUMENT ("csv: ...") only when the file exceeds kRosterBytesMax or kRosterRowsMax;
// everything else wrong is reported per row, every problem of the row at once: its cells, and
// where it disagrees with its household's other rows (unless its group or house number is
// unusable, so that its household is unknown). A record whose cells cannot be told apart (a
// stray quote, a wrong number of cells) is reported for that alone.
absl::StatusOr<ParsedRoster> ParseRoster(absl::string_view csv, absl::string_view today);

// Adds the storage's conflicts to the row reports (a conflict on a line marks that row refused).
void AddRosterConflicts(const std::vector<RosterConflict>& conflicts,
                        std::vector<RosterRowReport>& rows);

// One CSV record: its fields and the line where it starts. Exposed for tests.
struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
  std::string error;  // non-empty when the record is malformed (e.g. a stray quote)
};

// Splits CSV text (BOM already removed) into records. A malformed record carries an error and
// parsing resumes at the next line; an unterminated quote ends the input.
std::vector<CsvRecord> SplitCsv(absl::string_view text);

}  // namespace jifen::scoring
