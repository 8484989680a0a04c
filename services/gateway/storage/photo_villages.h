// Which villages (and their towns) a photo was uploaded from (migrations 0006, 0007): photos show
// households' premises, so the gateway shows a photo within its villages, to the officials of
// their towns and to the district, and accepts it as evidence only in its villages.
#pragma once

#include <cstdint>
#include <string>

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
  virtual absl::StatusOr<bool> UploadedInTown(const std::string& photo_ref, int64_t town_id) = 0;
};

class MySqlPhotoVillages final : public PhotoVillages {
 public:
  explicit MySqlPhotoVillages(mysql::ConnectionPool* pool) : pool_(pool) {}
  absl::Status Record(const std::string& photo_ref, int64_t village_id, int64_t town_id,
                      const std::string& uploaded_by, int64_t at_ms) override;
  absl::StatusOr<bool> UploadedIn(const std::string& photo_ref, int64_t village_id) override;
  absl::StatusOr<bool> UploadedInTown(const std::string& photo_ref, int64_t town_id) override;

 private:
  mysql::ConnectionPool* pool_;
};

}  // namespace jifen::gateway
