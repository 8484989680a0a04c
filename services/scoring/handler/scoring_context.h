// Everything the scoring service's handlers share, built once in main.cc.
#pragma once

#include <memory>
#include <string>

#include "common/grpc/call.h"
#include "common/mysql/connection_pool.h"
#include "services/scoring/domain/household.h"

namespace jifen::scoring {

struct ScoringContext {
  const grpc_util::CallHandler* calls = nullptr;
  mysql::ConnectionPool* pool = nullptr;
  HouseholdDirectory* households = nullptr;
  // 32-byte key (libsodium crypto_secretbox) that encrypts phone numbers at rest.
  std::string phone_key;
};

}  // namespace jifen::scoring
