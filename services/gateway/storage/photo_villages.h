// Which villages a photo was uploaded from (migrations 0006, 0007): photos show households'
// premises, so the gateway shows a photo within its villages, to the officials of their towns and
// to the district, and accepts it as evidence only in its villages.
//
// The town a row records is the one the uploader's token named (0 when it named none, e.g. a
// village admin's account made without a town): kept for the record, but a town official's access
// is decided by the registry's villages of their town (GatewayServer::PhotoInCallersTown).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mysql/connection_pool.h"

namespace jifen::gateway {

class PhotoVillages {
 public:
  virtual ~PhotoVillages() = default;
  // Notes that `photo_ref` was uploaded from `village_id` of `town_id` (0: not known); again:
  // nothing changes.
  virtual absl::Status Record(const std::string& photo_ref, int64_t village_id, int64_t town_id,
                              const std::string& uploaded_by, int64_t at_ms) = 0;
  virtual absl::StatusOr<bool> UploadedIn(const std::string& photo_ref, int64_t village_id) = 0;
  // The villages `photo_ref` was uploaded from, ascending; empty for an unknown photo.
  virtual absl::StatusOr<std::vector<int64_t>> VillagesOf(const std::string& photo_ref) = 0;
};

class MySqlPhotoVillages final : public PhotoVillages {
 public:
  explicit MySqlPhotoVillages(mysql::ConnectionPool* pool) : pool_(pool) {}
  absl::Status Record(const std::string& photo_ref, int64_t village_id, int64_t town_id,
                      const std::string& uploaded_by, int64_t at_ms) override;
  absl::StatusOr<bool> UploadedIn(const std::string& photo_ref, int64_t village_id) override;
  absl::StatusOr<std::vector<int64_t>> VillagesOf(const std::string& photo_ref) override;

 private:
  mysql::ConnectionPool* pool_;
};

}  // namespace jifen::gateway
