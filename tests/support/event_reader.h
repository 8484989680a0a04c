// An HTTP client reading an event stream (text/event-stream) on a thread of its own, as a
// dashboard's fetch() or the mini-program's chunked wx.request reads one; and the events of a body.
#pragma once

#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace jifen::testing {

// A client reading an event stream on its own thread, as a dashboard's fetch() reads one: the
// body as it arrives, until the stream ends or Close() drops the connection.
class EventReader final {
 public:
  EventReader(int port, const std::string& path, const std::string& token)
      : client_("127.0.0.1", port) {
    client_.set_read_timeout(60, 0);
    thread_ = std::thread([this, path, token] {
      const httplib::Headers headers = {{"Authorization", "Bearer " + token},
                                        {"Accept", "text/event-stream"}};
      httplib::Result res = client_.Get(
          path.c_str(), headers,
          [this](const httplib::Response& response) {
            absl::MutexLock lock(&mu_);
            status_ = response.status;
            return true;
          },
          [this](const char* data, size_t size) {
            absl::MutexLock lock(&mu_);
            body_.append(data, size);
            return true;
          });
      absl::MutexLock lock(&mu_);
      complete_ = static_cast<bool>(res);
      ended_ = true;
    });
  }
  ~EventReader() { Close(); }

  // The response's status once its headers came (0 if none came within `timeout`).
  int WaitForStatus(absl::Duration timeout = absl::Seconds(30)) {
    absl::MutexLock lock(&mu_);
    const auto ready = [this]() { return status_ != 0 || ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    return status_;
  }
  // Whether the body came to contain `text` within `timeout`.
  bool WaitForText(const std::string& text, absl::Duration timeout = absl::Seconds(30)) {
    absl::MutexLock lock(&mu_);
    const auto ready = [&]() { return absl::StrContains(body_, text) || ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    return absl::StrContains(body_, text);
  }
  // Whether the response ended within `timeout`; *complete: with its last chunk.
  bool WaitForEnd(bool* complete, absl::Duration timeout = absl::Seconds(30)) {
    absl::MutexLock lock(&mu_);
    const auto ended = [this]() { return ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
    *complete = complete_;
    return ended_;
  }
  std::string body() {
    absl::MutexLock lock(&mu_);
    return body_;
  }
  // Drops the connection, as a closed browser tab does.
  void Close() {
    client_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  httplib::Client client_;
  std::thread thread_;
  absl::Mutex mu_;
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  std::string body_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool complete_ ABSL_GUARDED_BY(mu_) = false;
};

// The events of an event-stream body: each event's fields by name ("id", "data", "event");
// comment lines are left out.
inline std::vector<std::map<std::string, std::string>> EventsOf(const std::string& body) {
  std::vector<std::map<std::string, std::string>> events;
  for (absl::string_view block : absl::StrSplit(body, "\n\n", absl::SkipEmpty())) {
    std::map<std::string, std::string> event;
    for (absl::string_view line : absl::StrSplit(block, '\n', absl::SkipEmpty())) {
      if (absl::StartsWith(line, ":")) continue;
      const size_t colon = line.find(": ");
      if (colon == absl::string_view::npos) continue;
      event[std::string(line.substr(0, colon))] += std::string(line.substr(colon + 2));
    }
    if (!event.empty()) events.push_back(std::move(event));
  }
  return events;
}

}  // namespace jifen::testing
