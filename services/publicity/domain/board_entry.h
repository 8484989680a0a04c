// A ledger entry as the boards (and the publicity windows) see it, and what it does to the boards.
// Plain data: the storage layer converts jifen.scoring.v1.LedgerEntry into this, so the rules here
// need no protobuf.
#pragma once

#include <cstdint>
#include <string>

namespace jifen::publicity {

struct BoardEntry {
  int64_t sequence = 0;  // global ledger sequence, > 0, strictly increasing in the stream
  int64_t village_id = 0;
  int64_t household_id = 0;
  int64_t group_id = 0;           // the household's group when the entry was written
  bool score_account = false;     // false: a wallet movement, which no board shows
  int64_t points = 0;             // signed
  std::string period;             // "YYYYQn" for score entries
  std::string category;           // rule-item category, may be empty
  int64_t reverses_sequence = 0;  // != 0: this entry reverses that one (its points negated)
  int64_t recorded_at_ms = 0;     // when scoring wrote it (late entries extend windows); 0: unknown
};

// The changes one entry makes. Every entry moves its village's cursor; only well-formed score
// entries move boards.
struct BoardEffect {
  bool moves_boards = false;
  std::string quarter;  // "2025Q3"
  std::string year;     // "2025"
  int64_t points_delta = 0;
  // Change of the household's net deduction in `category` (<= 0 adds a deduction, > 0 takes one
  // back when a deduction is reversed); 0 when the entry is not about a deduction.
  int64_t deduction_delta = 0;
  std::string category;
};

// A deduction is a non-reversal score entry with negative points; the reversal of a deduction
// (positive points naming another entry) takes it back. The reversal of an award is not a
// deduction: it is a correction, and black lists must not punish a household for it.
// Score entries without a valid quarter are skipped for boards (the cursor still moves): they
// can't be placed on a board and a poison entry must not stop the feed.
BoardEffect EffectOf(const BoardEntry& entry);

}  // namespace jifen::publicity
