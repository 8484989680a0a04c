#include "services/publicity/storage/board_page_cache.h"

#include <algorithm>

namespace jifen::publicity {

BoardPageCache::BoardPageCache(size_t pages_max) : pages_max_(std::max<size_t>(pages_max, 1)) {}

std::optional<BoardPage> BoardPageCache::Find(const PageId& id, const std::string& version) const {
  if (version.empty()) return std::nullopt;
  // Shared: the many handler threads reading the same hot page copy it side by side.
  absl::ReaderMutexLock lock(&mutex_);
  auto it = pages_.find(id);
  if (it == pages_.end() || it->second.version != version) return std::nullopt;
  return it->second.page;
}

void BoardPageCache::Store(PageId id, std::string version, BoardPage page) {
  // Without a cursor the board may be half deleted (ResetAll) or not built yet; and a rebuild
  // that reaches a cursor again must not meet a page filed under "no cursor".
  if (version.empty()) return;
  absl::MutexLock lock(&mutex_);
  auto [it, inserted] = pages_.try_emplace(id);
  // Two readers that missed at once may store out of order, leaving the older version here: that
  // costs one more miss, never a stale page, since Find compares the version exactly.
  it->second = Entry{std::move(version), std::move(page)};
  if (!inserted) return;
  stored_order_.push_back(std::move(id));
  if (stored_order_.size() > pages_max_) {
    pages_.erase(stored_order_.front());
    stored_order_.pop_front();
  }
}

size_t BoardPageCache::size() const {
  absl::ReaderMutexLock lock(&mutex_);
  return pages_.size();
}

}  // namespace jifen::publicity
