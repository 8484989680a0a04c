// Fans the entries the feeder applied out to live watchers (WatchBoard), per village. In-process:
// every publicity instance runs a feeder and so sees every entry itself.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/publicity/domain/board_entry.h"

namespace jifen::publicity {

class ChangeHub final {
 public:
  // A watcher's queue. At most kQueueMax entries wait; beyond that the oldest are dropped and
  // `dropped` tells the watcher that it missed changes (it can re-read the board).
  class Subscription {
   public:
    int64_t village_id() const { return village_id_; }

   private:
    friend class ChangeHub;
    explicit Subscription(int64_t village_id) : village_id_(village_id) {}
    const int64_t village_id_;
    std::deque<BoardEntry> queue_;  // guarded by the hub's mutex
    int64_t dropped_ = 0;
  };

  static constexpr size_t kQueueMax = 10000;

  std::shared_ptr<Subscription> Subscribe(int64_t village_id);
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);
  // Queues each entry for the watchers of its village.
  void Publish(const std::vector<BoardEntry>& batch);
  // Waits up to `timeout` for entries and takes them; *dropped gets the count lost to overflow.
  std::vector<BoardEntry> Wait(Subscription& subscription, absl::Duration timeout,
                               int64_t* dropped);
  size_t watchers() const;

 private:
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<int64_t, std::vector<std::shared_ptr<Subscription>>> by_village_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace jifen::publicity
