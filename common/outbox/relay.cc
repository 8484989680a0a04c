#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/outbox/outbox.h"
#include "common/outbox/outbox_rows.h"
#include "common/status/status_macros.h"

namespace jifen::outbox {

struct Relay::State {
  State(mysql::ConnectionPool& pool, Receiver receiver, RelayOptions options)
      : pool(pool), receiver(std::move(receiver)), options(std::move(options)) {
    this->options.batch_size = std::max(1, this->options.batch_size);
  }

  // Fetches a batch (or keeps the one in hand), hands it to the receiver, marks it delivered.
  // Returns whether a full batch went out, i.e. whether more may be waiting.
  absl::StatusOr<bool> Step();
  void Run();
  // Sleeps up to `duration`; returns early on Stop(), and on Notify() if `wake_on_notify`.
  void Wait(absl::Duration duration, bool wake_on_notify);

  mysql::ConnectionPool& pool;
  const Receiver receiver;
  RelayOptions options;

  // One delivery step at a time, whether from the thread or DrainOnce().
  absl::Mutex delivery_mu;
  // A failed receiver gets the very same batch again; once it acknowledged a batch, only the
  // marking is retried, so a database hiccup does not cause a resend.
  std::vector<OutboxRecord> batch ABSL_GUARDED_BY(delivery_mu);
  bool acknowledged ABSL_GUARDED_BY(delivery_mu) = false;

  absl::Mutex mu;
  absl::CondVar wake;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  bool notified ABSL_GUARDED_BY(mu) = false;

  std::thread thread;  // touched only by Start() and Stop()
};

absl::StatusOr<bool> Relay::State::Step() {
  absl::MutexLock lock(&delivery_mu);
  if (batch.empty()) {
    ASSIGN_OR_RETURN(batch, FetchUndelivered(pool, options.topic, options.batch_size));
    acknowledged = false;
    if (batch.empty()) return false;
  }
  if (!acknowledged) {
    absl::Status received = receiver(batch);
    if (!received.ok()) {
      return absl::Status(received.code(),
                          absl::StrCat("receiver refused outbox records ", batch.front().id, "..",
                                       batch.back().id, ": ", received.message()));
    }
    acknowledged = true;
  }
  RETURN_IF_ERROR(MarkDelivered(pool, batch));
  const bool full = static_cast<int>(batch.size()) >= options.batch_size;
  batch.clear();
  acknowledged = false;
  return full;
}

void Relay::State::Wait(absl::Duration duration, bool wake_on_notify) {
  absl::MutexLock lock(&mu);
  const absl::Time deadline = absl::Now() + duration;
  while (!stopping && !(wake_on_notify && notified)) {
    if (wake.WaitWithDeadline(&mu, deadline)) break;
  }
}

void Relay::State::Run() {
  const absl::Duration initial_backoff = std::min(options.initial_backoff, options.max_backoff);
  absl::Duration backoff = absl::ZeroDuration();
  int failures = 0;
  while (true) {
    {
      absl::MutexLock lock(&mu);
      if (stopping) return;
      // Cleared before the step: a Notify() arriving during it makes the next wait return at once.
      notified = false;
    }
    absl::StatusOr<bool> more = Step();
    if (!more.ok()) {
      ++failures;
      backoff = backoff == absl::ZeroDuration() ? initial_backoff
                                                : std::min(backoff * 2, options.max_backoff);
      // Log the first failure and then ever more rarely, not once per retry.
      if ((failures & (failures - 1)) == 0) {
        log::Warning("outbox delivery failing", {{"topic", options.topic},
                                                 {"failures", absl::StrCat(failures)},
                                                 {"retry_in", absl::FormatDuration(backoff)},
                                                 {"error", more.status().ToString()}});
      }
      // Notify() means new records, not a recovered receiver: keep backing off.
      Wait(backoff, /*wake_on_notify=*/false);
      continue;
    }
    if (failures > 0) {
      log::Info("outbox delivery recovered",
                {{"topic", options.topic}, {"failures", absl::StrCat(failures)}});
      failures = 0;
      backoff = absl::ZeroDuration();
    }
    if (!*more) Wait(options.poll_interval, /*wake_on_notify=*/true);
  }
}

Relay::Relay(mysql::ConnectionPool& pool, Receiver receiver, RelayOptions options)
    : state_(std::make_unique<State>(pool, std::move(receiver), std::move(options))) {}

Relay::~Relay() { Stop(); }

void Relay::Start() {
  if (state_->thread.joinable()) return;
  {
    absl::MutexLock lock(&state_->mu);
    state_->stopping = false;
  }
  state_->thread = std::thread([state = state_.get()] { state->Run(); });
}

void Relay::Stop() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stopping = true;
    state_->wake.SignalAll();
  }
  if (state_->thread.joinable()) state_->thread.join();
}

void Relay::Notify() {
  absl::MutexLock lock(&state_->mu);
  state_->notified = true;
  state_->wake.SignalAll();
}

absl::Status Relay::DrainOnce() {
  while (true) {
    absl::StatusOr<bool> more = state_->Step();
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
  }
}

}  // namespace jifen::outbox
