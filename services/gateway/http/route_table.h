// The HTTP routes of the gateway, derived from the compiled proto descriptors: every RPC that
// carries a `jifen.api.v1.http` option becomes one route. Nothing here is written per endpoint, so
// a new RPC with the option is exposed by relinking the gateway.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace jifen::gateway {

// A field of the request, possibly nested in singular message fields ("model.village_id").
struct FieldPath {
  std::string name;                                              // as written, dotted
  std::vector<const google::protobuf::FieldDescriptor*> fields;  // outermost first
  const google::protobuf::FieldDescriptor* leaf() const { return fields.back(); }
};

// One segment of a path template: a literal ("households", "roster:import") or a field ("{id}").
struct PathSegment {
  std::string literal;  // when field is empty
  FieldPath field;
  bool is_field() const { return !field.fields.empty(); }
};

struct Route {
  std::string http_method;    // "GET", "POST", "PUT", "DELETE"
  std::string path_template;  // as written in the option, e.g. "/v1/households/{household_id}"
  std::vector<PathSegment> segments;
  bool body_is_request = false;    // body: "*"
  std::vector<std::string> roles;  // auth role names allowed to call
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string grpc_method;  // "/jifen.scoring.v1.LedgerService/GetWallet"
  std::string backend;      // "scoring": the <service> of package jifen.<service>.v1
  // For downloads: the bytes field of the response sent as the body (http.proto, response_body).
  const google::protobuf::FieldDescriptor* response_body = nullptr;
  // A server-streaming RPC (GET only): answered as Server-Sent Events (stream_proxy.h).
  bool server_streaming = false;
  // For streams: the integer field of each message sent as the event's id (http.proto, event_id).
  const google::protobuf::FieldDescriptor* event_id = nullptr;
};

// Values taken from a matched path, keyed by field.
using PathValues = std::vector<std::pair<const FieldPath*, std::string>>;

class RouteTable final {
 public:
  // Reads every file under "jifen/" in the generated pool. An option that can't be served (bad
  // method, a {field} that is not a scalar, a client-streaming or bidirectional RPC, a
  // server-streaming one on another method than GET, a second route with the same method and path
  // shape) is left out and described in problems(), naming the RPC, so that one service's mistake
  // does not take every other route down.
  static absl::StatusOr<RouteTable> FromGeneratedPool();
  // The same over the given files (tests).
  static absl::StatusOr<RouteTable> FromFiles(
      const std::vector<const google::protobuf::FileDescriptor*>& files);

  // The route for a request, and the path values it binds; nullptr when no route's path matches.
  // `method_allowed` is set to false when a path matches only under other HTTP methods (405).
  const Route* Match(absl::string_view http_method, absl::string_view path, PathValues* values,
                     bool* method_allowed) const;

  const std::vector<Route>& routes() const { return routes_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<Route> routes_;
  std::vector<std::string> problems_;  // most specific first: literal segments before fields
};

// "jifen.scoring.v1" -> "scoring"; empty for a package not shaped jifen.<service>.v<N>.
std::string BackendOfPackage(absl::string_view package);

}  // namespace jifen::gateway
