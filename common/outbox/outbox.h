// The transactional outbox: a state change and the record announcing it are written in one MySQL
// transaction; a relay delivers the records, in order, to a receiver, retrying until acknowledged.
//
// Table (each owning service's migrations create it, see common/outbox/outbox_table.sql):
//   outbox(id BIGINT AUTO_INCREMENT PRIMARY KEY, village_id BIGINT NOT NULL, topic VARCHAR(64),
//          payload MEDIUMBLOB, created_at TIMESTAMP(6), delivered_at TIMESTAMP(6) NULL)
// Delivery marks rows delivered (the outbox is not the ledger; it may be updated).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/mysql/connection_pool.h"

namespace sql {
class Connection;
}

namespace jifen::outbox {

struct OutboxRecord {
  int64_t id = 0;          // the outbox row id: the receiver's dedupe key with the service name
  int64_t village_id = 0;  // 0 for records not about one village
  std::string topic;       // e.g. "audit"
  std::string payload;     // serialized bytes (a protobuf message, chosen by the topic)
  absl::Time created_at;
};

// Inserts a record using the caller's connection, inside the caller's transaction.
absl::Status Append(sql::Connection& connection, int64_t village_id, const std::string& topic,
                    const std::string& payload);

struct NewRecord {
  int64_t village_id = 0;
  std::string topic;
  std::string payload;
};

// Inserts several records with one statement, in the order given, inside the caller's
// transaction: for writers that commit many changes together.
absl::Status AppendAll(sql::Connection& connection, const std::vector<NewRecord>& records);

// Delivers a batch; returns OK only when the receiver has durably accepted every record given.
// Must be idempotent for records it has seen (the relay can resend after a crash).
using Receiver = std::function<absl::Status(const std::vector<OutboxRecord>& batch)>;

struct RelayOptions {
  std::string topic;  // which records this relay delivers
  int batch_size = 100;
  absl::Duration poll_interval = absl::Milliseconds(200);
  absl::Duration initial_backoff = absl::Milliseconds(100);  // after the first failure, doubling
  absl::Duration max_backoff = absl::Seconds(5);             // between failed deliveries
};

// A background thread that delivers undelivered records of one topic in id order. Stop() (or the
// destructor) ends it after the batch in flight.
//
// A failing receiver (or database) is retried with the same batch after a backoff that doubles from
// initial_backoff up to max_backoff. Records are marked delivered only after the receiver returned
// OK, so a crash in between resends them: delivery is at least once, and the receiver dedupes by
// (service, id). Ids come from AUTO_INCREMENT at insert time, so a transaction that took a lower id
// but committed later than a delivered higher one is delivered in a later batch (never lost); order
// is strict when appends to a topic are serialised. Several relays on one topic are safe (the
// receiver dedupes) but wasteful. Start() and Stop() are called by the owner's thread; Stop() then
// Start() again is allowed.
class Relay final {
 public:
  Relay(mysql::ConnectionPool& pool, Receiver receiver, RelayOptions options);
  ~Relay();
  void Start();
  void Stop();
  // Wakes the relay now instead of at the next poll (call after committing a change).
  void Notify();
  // Delivers everything pending once, synchronously; for tests and shutdown.
  absl::Status DrainOnce();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace jifen::outbox
