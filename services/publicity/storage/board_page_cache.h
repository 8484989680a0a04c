// Recently read pages of village and group boards, each filed under the village cursor value
// ("version") it was read with. RedisBoardStore serves a page from here when GET of the cursor
// still returns that version, so a hot board costs one GET instead of a range read and parsing.
// Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/publicity/domain/board_store.h"

namespace jifen::publicity {

// Which page of which board: the same arguments as BoardStore::ReadPage, with the board as its
// Redis key name.
struct PageId {
  std::string board;
  std::optional<PageCursor> after;
  int page_size = 0;

  friend bool operator==(const PageId& a, const PageId& b) {
    return a.board == b.board && a.page_size == b.page_size &&
           a.after.has_value() == b.after.has_value() &&
           (!a.after.has_value() ||
            (a.after->points == b.after->points && a.after->household_id == b.after->household_id));
  }
  template <typename H>
  friend H AbslHashValue(H state, const PageId& id) {
    state = H::combine(std::move(state), id.board, id.page_size, id.after.has_value());
    if (id.after.has_value()) {
      state = H::combine(std::move(state), id.after->points, id.after->household_id);
    }
    return state;
  }
};

class BoardPageCache final {
 public:
  // Enough for the first pages of every board of a few hundred villages; at the largest page
  // (200 rows) the cache holds about 7 MB.
  static constexpr size_t kPagesMaxDefault = 1024;

  // `pages_max` >= 1.
  explicit BoardPageCache(size_t pages_max = kPagesMaxDefault);

  // A copy of the page stored for `id` if it was stored with exactly `version`; nullopt
  // otherwise. An empty version (no cursor in Redis) never matches.
  std::optional<BoardPage> Find(const PageId& id, const std::string& version) const;

  // Files `page` under `version`, replacing whatever `id` held. When the cache is full the page
  // stored longest ago goes. An empty version is not stored.
  void Store(PageId id, std::string version, BoardPage page);

  size_t size() const;

 private:
  struct Entry {
    std::string version;
    BoardPage page;
  };

  const size_t pages_max_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<PageId, Entry> pages_ ABSL_GUARDED_BY(mutex_);
  std::deque<PageId> stored_order_ ABSL_GUARDED_BY(mutex_);  // oldest first, each id once
};

}  // namespace jifen::publicity
