#include "services/gateway/http/client_address.h"

#include <arpa/inet.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jifen::gateway {
namespace {

// The address's bytes: 4 for IPv4 (also when written IPv4-mapped in IPv6), 16 for IPv6.
std::optional<std::vector<uint8_t>> AddressBytes(absl::string_view text) {
  const std::string address(absl::StripAsciiWhitespace(text));
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(&v4);
    return std::vector<uint8_t>(bytes, bytes + 4);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return std::vector<uint8_t>(v6.s6_addr + 12, v6.s6_addr + 16);
  return std::vector<uint8_t>(v6.s6_addr, v6.s6_addr + 16);
}

bool PrefixMatches(const std::vector<uint8_t>& address, const std::vector<uint8_t>& network,
                   int prefix_bits) {
  if (address.size() != network.size()) return false;
  for (size_t i = 0; prefix_bits > 0; ++i, prefix_bits -= 8) {
    const int bits = prefix_bits < 8 ? prefix_bits : 8;
    const auto mask = static_cast<uint8_t>(0xFF << (8 - bits));
    if ((address[i] & mask) != network[i]) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view list) {
  TrustedProxies trusted;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const std::vector<absl::string_view> parts = absl::StrSplit(entry, absl::MaxSplits('/', 1));
    std::optional<std::vector<uint8_t>> network = AddressBytes(parts[0]);
    const int max_bits = network ? static_cast<int>(network->size()) * 8 : 0;
    int prefix_bits = max_bits;
    if (!network || (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], &prefix_bits) ||
                                           prefix_bits < 0 || prefix_bits > max_bits))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trusted proxy \"", entry, "\" is not an IP address or CIDR range (e.g. 10.0.0.0/8)"));
    }
    for (int bit = prefix_bits; bit < max_bits; ++bit) {
      (*network)[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
    }
    trusted.ranges_.push_back({*std::move(network), prefix_bits});
  }
  return trusted;
}

bool TrustedProxies::Contains(absl::string_view address) const {
  const std::optional<std::vector<uint8_t>> bytes = AddressBytes(address);
  if (!bytes) return false;
  for (const Range& range : ranges_) {
    if (PrefixMatches(*bytes, range.network, range.prefix_bits)) return true;
  }
  return false;
}

std::string CanonicalAddress(absl::string_view address) {
  const std::optional<std::vector<uint8_t>> bytes = AddressBytes(address);
  if (!bytes) return "";
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(bytes->size() == 4 ? AF_INET : AF_INET6, bytes->data(), text, sizeof(text));
  return text;
}

std::string ClientAddress(const TrustedProxies& trusted, absl::string_view peer,
                          const std::vector<std::string>& forwarded_for) {
  std::string client = CanonicalAddress(peer);
  if (client.empty()) client = std::string(peer);
  if (!trusted.Contains(client)) return client;
  std::vector<absl::string_view> hops;
  for (const std::string& header : forwarded_for) {
    for (absl::string_view hop : absl::StrSplit(header, ',')) hops.push_back(hop);
  }
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    const std::string address = CanonicalAddress(*hop);
    if (address.empty()) break;  // a garbled list: believe no further than the proxy that sent it
    client = address;
    if (!trusted.Contains(client)) break;
  }
  return client;
}

}  // namespace jifen::gateway
