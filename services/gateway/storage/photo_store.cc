#include "services/gateway/storage/photo_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/gateway/auth/login_service.h"

namespace jifen::gateway {
namespace {

bool IsRef(absl::string_view ref) {
  if (ref.size() != 64) return false;
  for (char c : ref) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

absl::Status WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::InternalError(absl::StrCat("write: ", std::strerror(errno)));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

std::string PhotoStore::PathOf(absl::string_view ref) const {
  return absl::StrCat(folder_, "/", ref.substr(0, 2), "/", ref);
}

absl::StatusOr<StoredPhoto> PhotoStore::Put(absl::string_view bytes) const {
  if (bytes.empty()) return absl::InvalidArgumentError("UNSUPPORTED_MEDIA_TYPE: empty file");
  if (static_cast<int64_t>(bytes.size()) > max_bytes_) {
    return absl::InvalidArgumentError("PAYLOAD_TOO_LARGE: photo over the size limit");
  }
  absl::StatusOr<ImageInfo> image = CheckImage(bytes);
  if (!image.ok()) return image.status();
  bytes = bytes.substr(0, image->image_bytes);  // a JPEG's trailer after the image is not kept
  StoredPhoto photo;
  photo.content_type = image->content_type;
  photo.photo_ref = Sha256Hex(bytes);
  photo.size_bytes = static_cast<int64_t>(bytes.size());
  const std::string path = PathOf(photo.photo_ref);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return photo;  // stored before
  const std::string dir = absl::StrCat(folder_, "/", photo.photo_ref.substr(0, 2));
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir photo folder: ", std::strerror(errno)));
  }
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid(), ".", gettid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return absl::InternalError(absl::StrCat("open: ", std::strerror(errno)));
  absl::Status written = WriteAll(fd, bytes);
  if (written.ok() && ::fsync(fd) != 0) written = absl::InternalError("fsync failed");
  ::close(fd);
  if (written.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = absl::InternalError(absl::StrCat("rename: ", std::strerror(errno)));
  }
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  return photo;
}

bool PhotoStore::Has(absl::string_view photo_ref) const {
  struct stat info;
  return IsRef(photo_ref) && ::stat(PathOf(photo_ref).c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

absl::StatusOr<std::string> PhotoStore::Get(absl::string_view photo_ref) const {
  if (!IsRef(photo_ref)) return absl::NotFoundError("no such photo");
  std::ifstream in(PathOf(photo_ref), std::ios::binary);
  if (!in) return absl::NotFoundError("no such photo");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace jifen::gateway
