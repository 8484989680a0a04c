// Which villages a photo was uploaded from (migration 0006_photo_villages.sql): photos show
// households' premises, so the gateway shows a photo within its villages (and to the town and
// district, who supervise them) and accepts it as evidence only there.
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
  // Notes that `photo_ref` was uploaded from `village_id` (again: nothing changes).
  virtual absl::Status Record(const std::string& photo_ref, int64_t village_id,
                              const std::string& uploaded_by, int64_t at_ms) = 0;
  virtual absl::StatusOr<bool> UploadedIn(const std::string& photo_ref, int64_t village_id) = 0;
};

class MySqlPhotoVillages final : public PhotoVillages {
 public:
  explicit MySqlPhotoVillages(mysql::ConnectionPool* pool) : pool_(pool) {}
  absl::Status Record(const std::string& photo_ref, int64_t village_id,
                      const std::string& uploaded_by, int64_t at_ms) override;
  absl::StatusOr<bool> UploadedIn(const std::string& photo_ref, int64_t village_id) override;

 private:
  mysql::ConnectionPool* pool_;
};

}  // namespace jifen::gateway
