// Who sent a request. In production the gateway sits behind a TLS terminator (WeChat only calls
// https:// domains), so the socket's peer is that proxy for everyone: rate limits per address and
// the access log would lump every resident of the district into one address. A proxy the operator
// names as trusted reports the client in X-Forwarded-For; anyone else's X-Forwarded-For is ignored,
// so a client can't choose its own address to escape its limits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jifen::gateway {

class TrustedProxies final {
 public:
  // "10.0.0.0/8, 127.0.0.1, ::1": addresses and CIDR ranges, IPv4 or IPv6; empty: none trusted.
  // INVALID_ARGUMENT naming the first entry that is neither.
  static absl::StatusOr<TrustedProxies> Parse(absl::string_view list);

  bool empty() const { return ranges_.empty(); }
  // False for anything that is not an IP address.
  bool Contains(absl::string_view address) const;

 private:
  struct Range {
    std::vector<uint8_t> network;  // 4 or 16 bytes, host bits cleared
    int prefix_bits = 0;
  };
  std::vector<Range> ranges_;
};

// The client's address: `peer` itself unless it is a trusted proxy; then the nearest address in
// `forwarded_for` (the X-Forwarded-For values in order, each possibly a comma-separated list) that
// is not a trusted proxy, walking from the right, since each proxy appends the address it saw. An
// entry that is not an IP address stops the walk at the hop that reported it.
std::string ClientAddress(const TrustedProxies& trusted, absl::string_view peer,
                          const std::vector<std::string>& forwarded_for);

// IPv4-mapped IPv6 ("::ffff:1.2.3.4") as IPv4, surrounding blanks dropped; empty when `address`
// is not an IP address.
std::string CanonicalAddress(absl::string_view address);

}  // namespace jifen::gateway
