#include "services/scoring/storage/inspection_queue.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace jifen::scoring {

InspectionQueue::InspectionQueue(int writers, int max_batch, WriteBatch write_batch)
    : max_batch_(std::max(1, max_batch)), write_batch_(std::move(write_batch)) {
  writers_.resize(std::max(1, writers));
  for (std::unique_ptr<Writer>& writer : writers_) {
    writer = std::make_unique<Writer>();
    writer->thread = std::thread([this, &writer = *writer] { RunWriter(writer); });
  }
}

InspectionQueue::~InspectionQueue() {
  for (std::unique_ptr<Writer>& writer : writers_) {
    absl::MutexLock lock(&writer->mutex);
    writer->stopping = true;
  }
  for (std::unique_ptr<Writer>& writer : writers_) writer->thread.join();
}

void InspectionQueue::Submit(QueuedInspection& inspection) {
  const auto village = static_cast<uint64_t>(inspection.caller->village_id);
  Writer& writer = *writers_[village % writers_.size()];
  absl::MutexLock lock(&writer.mutex);
  writer.queue.push_back(&inspection);
}

void InspectionQueue::SubmitAndWait(QueuedInspection& inspection) {
  Submit(inspection);
  inspection.done.WaitForNotification();
}

size_t InspectionQueue::waiting() const {
  size_t waiting = 0;
  for (const std::unique_ptr<Writer>& writer : writers_) {
    absl::MutexLock lock(&writer->mutex);
    waiting += writer->queue.size();
  }
  return waiting;
}

std::vector<QueuedInspection*> InspectionQueue::TakeBatch(Writer& writer) {
  absl::MutexLock lock(&writer.mutex);
  auto ready = [&writer]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer.mutex) {
    return !writer.queue.empty() || writer.stopping;
  };
  writer.mutex.Await(absl::Condition(&ready));
  std::vector<QueuedInspection*> batch;
  absl::flat_hash_set<absl::string_view> ids;
  for (auto it = writer.queue.begin();
       it != writer.queue.end() && static_cast<int>(batch.size()) < max_batch_;) {
    if (ids.insert((*it)->request->inspection_id()).second) {
      batch.push_back(*it);
      it = writer.queue.erase(it);
    } else {
      ++it;
    }
  }
  return batch;
}

void InspectionQueue::RunWriter(Writer& writer) {
  for (std::vector<QueuedInspection*> batch = TakeBatch(writer); !batch.empty();
       batch = TakeBatch(writer)) {
    write_batch_(batch);
    for (QueuedInspection* inspection : batch) {
      if (inspection->on_written) {
        // Moved out first: the callback may destroy the inspection, and itself with it.
        std::function<void()> on_written = std::move(inspection->on_written);
        on_written();
      } else {
        inspection->done.Notify();
      }
    }
  }
}

}  // namespace jifen::scoring
