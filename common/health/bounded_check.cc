#include "common/health/bounded_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace jifen::health {

BoundedCheck::BoundedCheck(std::function<absl::Status()> check, absl::Duration limit)
    : check_(std::move(check)), limit_(limit), thread_([this] { Run(); }) {}

BoundedCheck::~BoundedCheck() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    changed_.SignalAll();
  }
  thread_.join();
}

absl::Status BoundedCheck::Check() {
  absl::MutexLock lock(&mutex_);
  if (!running_) {
    running_ = true;
    ++started_;
    changed_.SignalAll();
  }
  const long long mine = started_;
  const absl::Time deadline = absl::Now() + limit_;
  while (finished_ < mine) {
    if (changed_.WaitWithDeadline(&mutex_, deadline) && finished_ < mine) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no answer within ", absl::FormatDuration(limit_), " (the database may be hung)"));
    }
  }
  return answer_;
}

void BoundedCheck::Run() {
  absl::MutexLock lock(&mutex_);
  while (true) {
    while (!stopping_ && finished_ == started_) changed_.Wait(&mutex_);
    if (stopping_) return;
    mutex_.Unlock();
    absl::Status answer = check_();
    mutex_.Lock();
    answer_ = std::move(answer);
    finished_ = started_;
    running_ = false;
    changed_.SignalAll();
  }
}

}  // namespace jifen::health
