#include "services/publicity/domain/change_hub.h"

#include <algorithm>

namespace jifen::publicity {

std::shared_ptr<ChangeHub::Subscription> ChangeHub::Subscribe(int64_t village_id) {
  std::shared_ptr<Subscription> subscription(new Subscription(village_id));
  absl::MutexLock lock(&mutex_);
  by_village_[village_id].push_back(subscription);
  return subscription;
}

void ChangeHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  absl::MutexLock lock(&mutex_);
  auto it = by_village_.find(subscription->village_id());
  if (it == by_village_.end()) return;
  auto& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), subscription), list.end());
  if (list.empty()) by_village_.erase(it);
}

void ChangeHub::Publish(const std::vector<BoardEntry>& batch) {
  absl::MutexLock lock(&mutex_);
  if (by_village_.empty()) return;
  for (const BoardEntry& entry : batch) {
    auto it = by_village_.find(entry.village_id);
    if (it == by_village_.end()) continue;
    for (const std::shared_ptr<Subscription>& subscription : it->second) {
      subscription->queue_.push_back(entry);
      if (subscription->queue_.size() > kQueueMax) {
        subscription->queue_.pop_front();
        ++subscription->dropped_;
      }
    }
  }
}

std::vector<BoardEntry> ChangeHub::Wait(Subscription& subscription, absl::Duration timeout,
                                        int64_t* dropped) {
  absl::MutexLock lock(&mutex_);
  const auto ready = [&subscription]() { return !subscription.queue_.empty(); };
  mutex_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  std::vector<BoardEntry> entries(subscription.queue_.begin(), subscription.queue_.end());
  subscription.queue_.clear();
  if (dropped != nullptr) *dropped = subscription.dropped_;
  subscription.dropped_ = 0;
  return entries;
}

size_t ChangeHub::watchers() const {
  absl::MutexLock lock(&mutex_);
  size_t count = 0;
  for (const auto& [village, list] : by_village_) count += list.size();
  return count;
}

}  // namespace jifen::publicity
