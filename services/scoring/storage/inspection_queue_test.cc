#include "services/scoring/storage/inspection_queue.h"

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

struct Submission {
  auth::Caller caller;
  v1::SubmitInspectionRequest request;
  QueuedInspection queued;
};

std::unique_ptr<Submission> Make(int64_t village_id, const std::string& inspection_id) {
  auto submission = std::make_unique<Submission>();
  submission->caller.village_id = village_id;
  submission->request.set_inspection_id(inspection_id);
  submission->queued.caller = &submission->caller;
  submission->queued.request = &submission->request;
  return submission;
}

// Records the batches it is given; the first one waits until the test releases it, so that
// everything submitted meanwhile queues up behind it.
class RecordingWriter {
 public:
  void Write(const std::vector<QueuedInspection*>& batch) {
    {
      absl::MutexLock lock(&mutex_);
      if (!writing_.HasBeenNotified()) writing_.Notify();
    }
    release_.WaitForNotification();
    absl::MutexLock lock(&mutex_);
    std::vector<std::string> ids;
    for (QueuedInspection* inspection : batch) {
      ids.push_back(inspection->request->inspection_id());
      villages_.insert(inspection->caller->village_id);
      v1::SubmitInspectionResponse response;
      response.set_inspection_id(inspection->request->inspection_id());
      response.set_total_points(static_cast<int64_t>(batches_.size()));
      inspection->result = response;
    }
    batches_.push_back(ids);
  }
  void WaitUntilWriting() { writing_.WaitForNotification(); }
  void Release() { release_.Notify(); }
  std::vector<std::vector<std::string>> batches() {
    absl::MutexLock lock(&mutex_);
    return batches_;
  }

 private:
  absl::Notification writing_;
  absl::Notification release_;
  absl::Mutex mutex_;
  std::vector<std::vector<std::string>> batches_ ABSL_GUARDED_BY(mutex_);
  std::set<int64_t> villages_ ABSL_GUARDED_BY(mutex_);
};

void WaitUntilQueued(const InspectionQueue& queue, size_t count) {
  while (queue.waiting() < count) std::this_thread::yield();
}

TEST(InspectionQueueTest, SubmissionsArrivingDuringAWriteAreWrittenTogether) {
  RecordingWriter writer;
  InspectionQueue queue(1, 64, [&](const auto& batch) { writer.Write(batch); });
  std::vector<std::unique_ptr<Submission>> submissions;
  for (int i = 0; i < 6; ++i) submissions.push_back(Make(7, absl::StrCat("inspection-", i)));
  std::vector<std::thread> threads;
  threads.emplace_back([&] { queue.SubmitAndWait(submissions[0]->queued); });
  writer.WaitUntilWriting();
  for (int i = 1; i < 6; ++i) {
    threads.emplace_back([&, i] { queue.SubmitAndWait(submissions[i]->queued); });
  }
  WaitUntilQueued(queue, 5);
  writer.Release();
  for (std::thread& thread : threads) thread.join();

  const auto batches = writer.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], std::vector<std::string>{"inspection-0"});
  EXPECT_EQ(batches[1].size(), 5u);
  for (const auto& submission : submissions) {
    ASSERT_TRUE(submission->queued.result.ok());
    EXPECT_EQ(submission->queued.result->inspection_id(), submission->request.inspection_id())
        << "each caller gets its own answer";
  }
}

TEST(InspectionQueueTest, ABatchNeverHoldsOneInspectionIdTwice) {
  RecordingWriter writer;
  InspectionQueue queue(1, 64, [&](const auto& batch) { writer.Write(batch); });
  std::vector<std::unique_ptr<Submission>> submissions;
  submissions.push_back(Make(7, "first"));
  for (const char* id : {"same", "same", "other", "same", "other"}) {
    submissions.push_back(Make(7, id));
  }
  std::vector<std::thread> threads;
  threads.emplace_back([&] { queue.SubmitAndWait(submissions[0]->queued); });
  writer.WaitUntilWriting();
  for (size_t i = 1; i < submissions.size(); ++i) {
    threads.emplace_back([&, i] { queue.SubmitAndWait(submissions[i]->queued); });
  }
  WaitUntilQueued(queue, submissions.size() - 1);
  writer.Release();
  for (std::thread& thread : threads) thread.join();

  const auto batches = writer.batches();
  size_t written = 0;
  for (const std::vector<std::string>& batch : batches) {
    EXPECT_EQ(std::set<std::string>(batch.begin(), batch.end()).size(), batch.size())
        << "a repeat waits for a later batch";
    written += batch.size();
  }
  EXPECT_EQ(written, submissions.size());
  EXPECT_EQ(batches.size(), 4u);  // first; same+other; same+other; same
}

TEST(InspectionQueueTest, ABatchHoldsAtMostMaxBatchAndOneWritersVillagesOnly) {
  RecordingWriter writer;
  std::mutex villages_mutex;
  std::vector<std::set<int64_t>> village_sets;
  InspectionQueue queue(2, 3, [&](const std::vector<QueuedInspection*>& batch) {
    std::set<int64_t> villages;
    for (QueuedInspection* inspection : batch) villages.insert(inspection->caller->village_id);
    {
      std::lock_guard<std::mutex> lock(villages_mutex);
      village_sets.push_back(villages);
    }
    writer.Write(batch);
  });
  std::vector<std::unique_ptr<Submission>> submissions;
  for (int i = 0; i < 12; ++i) {
    submissions.push_back(Make(100 + i % 4, absl::StrCat("inspection-", i)));
  }
  std::vector<std::thread> threads;
  for (auto& submission : submissions) {
    threads.emplace_back([&] { queue.SubmitAndWait(submission->queued); });
  }
  writer.Release();
  for (std::thread& thread : threads) thread.join();
  size_t written = 0;
  for (const auto& batch : writer.batches()) {
    EXPECT_LE(batch.size(), 3u);
    written += batch.size();
  }
  EXPECT_EQ(written, submissions.size());
  for (const std::set<int64_t>& villages : village_sets) {
    std::set<int64_t> writers;
    for (int64_t village : villages) writers.insert(village % 2);
    EXPECT_EQ(writers.size(), 1u) << "villages of one batch belong to one writer";
  }
}

}  // namespace
}  // namespace jifen::scoring
