// What a board request names that only the registry can confirm. A group of another village used
// to match nothing and answer an empty board or empty lists, which read as "no points yet"; it is
// refused instead, naming the request field, so the caller learns the request is wrong. Unknown
// ids and another village's are refused alike, so a refusal tells nothing about other villages.
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

}  // namespace jifen::publicity
