// An in-memory VillageDirectory for domain tests: village -> town.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "services/audit/domain/scope.h"

namespace jifen::audit {

class FakeVillageDirectory final : public VillageDirectory {
 public:
  absl::StatusOr<std::optional<int64_t>> TownOf(int64_t village_id) override {
    auto it = towns.find(village_id);
    if (it == towns.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::vector<int64_t>> VillagesOf(int64_t town_id) override {
    std::vector<int64_t> out;
    for (const auto& [village, town] : towns) {
      if (town == town_id) out.push_back(village);
    }
    return out;
  }
  std::map<int64_t, int64_t> towns = {{11, 1}, {12, 1}, {21, 2}};
};

}  // namespace jifen::audit
