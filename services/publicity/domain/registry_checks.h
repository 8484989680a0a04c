// What a board request names that only the registry can confirm. A group of another village, or a
// household outside the board asked about, used to match nothing and answer an empty board, empty
// lists or `on_board: false`, which read as "no points yet"; they are refused instead, naming the
// request field, so the caller learns the request is wrong. Unknown ids and another village's are
// refused alike, so a refusal tells nothing about other villages.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/publicity/domain/board_store.h"
#include "services/publicity/domain/ports.h"

namespace jifen::publicity {

// OK when `group_id` is a group of `village_id`; else INVALID_ARGUMENT
// "GROUP_NOT_IN_VILLAGE: <field>: ...". Registry errors (UNAVAILABLE, ...) are returned as they
// are.
absl::Status CheckGroupOfVillage(VillageDirectory& villages, int64_t village_id, int64_t group_id,
                                 absl::string_view field);

// For the standing of a household that is not on the board `key` (a village or group board): OK
// when the household is one of the board's village (and, on a group board, of its group, the
// household's group per the registry), so that "not on the board" is the true answer. Otherwise
// INVALID_ARGUMENT "HOUSEHOLD_NOT_IN_VILLAGE: household_id: ..." or
// "HOUSEHOLD_NOT_IN_GROUP: board.group_id: ..."; registry errors are returned as they are.
absl::Status CheckStandingSubject(HouseholdDirectory& households, const BoardKey& key,
                                  int64_t household_id);

}  // namespace jifen::publicity
