// Group commit for inspections. On an inspection day many grid workers submit at once, and each
// inspection alone is a transaction of ten round trips and a durable commit for one or two rows.
// Submissions that arrive while a write is in progress queue up and are written together, in one
// transaction, by a writer thread; each caller waits for its own outcome.
//
// Villages are spread over the writers by id, so two writers never queue on the same village's
// hash-chain head. A batch never holds the same inspection id twice: a repeat waits for the next
// batch, where it finds the first one stored and gets its answer.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/auth/caller.h"
#include "jifen/scoring/v1/assessment.pb.h"

namespace jifen::scoring {

// One submission on its way through the queue. Its submitter owns it and either waits on `done`
// or is called back through `on_written` (which may destroy it).
struct QueuedInspection {
  const auth::Caller* caller = nullptr;
  const v1::SubmitInspectionRequest* request = nullptr;
  std::vector<int64_t> team_groups;  // the assessor's team's groups
  std::string digest;                // RequestDigest of caller and request
  absl::StatusOr<v1::SubmitInspectionResponse> result = absl::UnknownError("not written");
  absl::Notification done;
  std::function<void()> on_written;  // when set, called instead of notifying `done`
};

class InspectionQueue final {
 public:
  // Writes a batch (at least one, ids distinct) and sets each one's `result`.
  using WriteBatch = std::function<void(const std::vector<QueuedInspection*>& batch)>;

  // `writers` threads, each taking up to `max_batch` queued inspections at a time.
  InspectionQueue(int writers, int max_batch, WriteBatch write_batch);
  // Writes what is queued, then stops the writers.
  ~InspectionQueue();
  InspectionQueue(const InspectionQueue&) = delete;
  InspectionQueue& operator=(const InspectionQueue&) = delete;

  // Queues `inspection`; once its result is set, a writer calls its on_written or notifies done.
  void Submit(QueuedInspection& inspection);
  // Queues `inspection` and blocks until its result is set.
  void SubmitAndWait(QueuedInspection& inspection);

  // Submissions queued and not yet taken by a writer.
  size_t waiting() const;

 private:
  struct Writer {
    mutable absl::Mutex mutex;
    std::deque<QueuedInspection*> queue ABSL_GUARDED_BY(mutex);
    bool stopping ABSL_GUARDED_BY(mutex) = false;
    std::thread thread;
  };
  void RunWriter(Writer& writer);
  // The next batch, removed from the queue; empty once stopping and drained.
  std::vector<QueuedInspection*> TakeBatch(Writer& writer);

  const int max_batch_;
  const WriteBatch write_batch_;
  std::vector<std::unique_ptr<Writer>> writers_;
};

}  // namespace jifen::scoring
