#include "services/gateway/http/route_table.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "google/protobuf/descriptor.pb.h"
#include "jifen/api/v1/http.pb.h"
#include "jifen/publicity/v1/boards.pb.h"
#include "jifen/scoring/v1/ledger.pb.h"
#include "jifen/testing/v1/echo.pb.h"
#include "services/gateway/http/errors.h"
#include "services/gateway/http/openapi.h"
#include "services/gateway/http/transcoder.h"

namespace jifen::gateway {
namespace {

namespace pb = google::protobuf;

const RouteTable& Table() {
  static const RouteTable* table = [] {
    absl::StatusOr<RouteTable> t = RouteTable::FromGeneratedPool();
    EXPECT_TRUE(t.ok()) << t.status();
    for (const std::string& problem : t->problems()) ADD_FAILURE() << problem;
    return new RouteTable(std::move(t).value());
  }();
  return *table;
}

TEST(RouteTableTest, FindsEveryAnnotatedRpcOfEveryLinkedPackage) {
  bool echo = false, wallet = false;
  for (const Route& route : Table().routes()) {
    if (route.grpc_method == "/jifen.testing.v1.EchoService/Echo") {
      echo = true;
      EXPECT_EQ(route.backend, "testing");
      EXPECT_TRUE(route.body_is_request);
      EXPECT_EQ(route.roles, std::vector<std::string>{"district_official"});
    }
    if (route.grpc_method == "/jifen.scoring.v1.LedgerService/GetWallet") wallet = true;
    EXPECT_NE(route.grpc_method, "/jifen.scoring.v1.LedgerService/Debit");
  }
  EXPECT_TRUE(echo);
  EXPECT_TRUE(wallet);
}

TEST(RouteTableTest, MatchesTemplatesAndBindsFields) {
  PathValues values;
  bool allowed = true;
  const Route* route = Table().Match("GET", "/v1/households/42/wallet", &values, &allowed);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->grpc_method, "/jifen.scoring.v1.LedgerService/GetWallet");
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].first->name, "household_id");
  EXPECT_EQ(values[0].second, "42");

  route = Table().Match("GET", "/v1/villages/3/totals/2025Q3", &values, &allowed);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(values.size(), 2u);

  EXPECT_EQ(Table().Match("GET", "/v1/households/42/nothing", &values, &allowed), nullptr);
  EXPECT_TRUE(allowed);
  EXPECT_EQ(Table().Match("DELETE", "/v1/households/42/wallet", &values, &allowed), nullptr);
  EXPECT_FALSE(allowed);
  EXPECT_EQ(Table().Match("GET", "/v1/households//wallet", &values, &allowed), nullptr);
}

TEST(RouteTableTest, LiteralSegmentsWinOverFields) {
  PathValues values;
  bool allowed;
  const Route* route = Table().Match("GET", "/v1/rulebooks/template", &values, &allowed);
  ASSERT_NE(route, nullptr);
  EXPECT_TRUE(values.empty());
}

TEST(RouteTableTest, BackendOfPackage) {
  EXPECT_EQ(BackendOfPackage("jifen.scoring.v1"), "scoring");
  EXPECT_EQ(BackendOfPackage("jifen.redemption.v2"), "redemption");
  EXPECT_EQ(BackendOfPackage("google.protobuf"), "");
  EXPECT_EQ(BackendOfPackage("jifen.scoring"), "");
}

const Route& RouteOf(const std::string& grpc_method) {
  for (const Route& route : Table().routes()) {
    if (route.grpc_method == grpc_method) return route;
  }
  ADD_FAILURE() << grpc_method;
  return Table().routes().front();
}

// WatchBoard streams: its route answers Server-Sent Events, each event's id the change's sequence.
TEST(RouteTableTest, AServerStreamingRpcGetsAGetRoute) {
  PathValues values;
  bool allowed = true;
  const Route* route = Table().Match("GET", "/v1/villages/12/boards/watch", &values, &allowed);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->grpc_method, "/jifen.publicity.v1.BoardService/WatchBoard");
  EXPECT_TRUE(route->server_streaming);
  ASSERT_NE(route->event_id, nullptr);
  EXPECT_EQ(route->event_id->name(), "sequence");
  EXPECT_EQ(route->roles, RouteOf("/jifen.publicity.v1.BoardService/GetBoard").roles);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].second, "12");
  EXPECT_FALSE(RouteOf("/jifen.publicity.v1.BoardService/GetBoard").server_streaming);
  EXPECT_EQ(RouteOf("/jifen.publicity.v1.BoardService/GetBoard").event_id, nullptr);
}

// Rules for streaming RPCs, on descriptors made here: a server stream is a GET, client streams
// and bidirectional ones have no route, event_id names an integer field of a streamed message.
TEST(RouteTableTest, StreamingRulesLeaveBadOptionsOut) {
  pb::FileDescriptorProto file;
  file.set_name("jifen/routetest/v1/streams.proto");
  file.set_package("jifen.routetest.v1");
  file.set_syntax("proto3");
  file.add_dependency("jifen/api/v1/http.proto");
  pb::DescriptorProto* message = file.add_message_type();
  message->set_name("Tick");
  pb::FieldDescriptorProto* field = message->add_field();
  field->set_name("sequence");
  field->set_number(1);
  field->set_type(pb::FieldDescriptorProto::TYPE_INT64);
  field->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
  field = message->add_field();
  field->set_name("text");
  field->set_number(2);
  field->set_type(pb::FieldDescriptorProto::TYPE_STRING);
  field->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
  pb::ServiceDescriptorProto* service = file.add_service();
  service->set_name("Streams");
  const auto add = [&](const std::string& name, bool client_streaming, bool server_streaming,
                       const std::string& http_method, const std::string& event_id,
                       const std::string& response_body = "") {
    pb::MethodDescriptorProto* method = service->add_method();
    method->set_name(name);
    method->set_input_type(".jifen.routetest.v1.Tick");
    method->set_output_type(".jifen.routetest.v1.Tick");
    method->set_client_streaming(client_streaming);
    method->set_server_streaming(server_streaming);
    api::v1::HttpRule rule;
    rule.set_method(http_method);
    rule.set_path("/v1/routetest/" + name);
    rule.add_roles("district_official");
    rule.set_event_id(event_id);
    rule.set_response_body(response_body);
    *method->mutable_options()->MutableExtension(api::v1::http) = rule;
  };
  add("Watch", false, true, "GET", "sequence");
  add("WatchNoId", false, true, "GET", "");
  add("Upload", true, false, "POST", "");
  add("Chat", true, true, "GET", "");
  add("PostWatch", false, true, "POST", "");
  add("UnaryWithId", false, false, "GET", "sequence");
  add("TextId", false, true, "GET", "text");
  add("NoSuchId", false, true, "GET", "nothing");
  add("StreamedFile", false, true, "GET", "", "text");
  pb::DescriptorPool pool(pb::DescriptorPool::generated_pool());
  const pb::FileDescriptor* built = pool.BuildFile(file);
  ASSERT_NE(built, nullptr);
  absl::StatusOr<RouteTable> table = RouteTable::FromFiles({built});
  ASSERT_TRUE(table.ok()) << table.status();
  std::vector<std::string> routed;
  for (const Route& route : table->routes()) {
    routed.push_back(route.method->name());
    EXPECT_TRUE(route.server_streaming) << route.method->name();
  }
  std::sort(routed.begin(), routed.end());
  EXPECT_EQ(routed, (std::vector<std::string>{"Watch", "WatchNoId"}));
  for (const Route& route : table->routes()) {
    if (route.method->name() == "Watch") {
      ASSERT_NE(route.event_id, nullptr);
      EXPECT_EQ(route.event_id->name(), "sequence");
    } else {
      EXPECT_EQ(route.event_id, nullptr);
    }
  }
  ASSERT_EQ(table->problems().size(), 7u);
  const auto problem_of = [&](const std::string& rpc) {
    for (const std::string& problem : table->problems()) {
      if (absl::StrContains(problem, "Streams." + rpc + ":")) return problem;
    }
    return std::string("none");
  };
  EXPECT_TRUE(absl::StrContains(problem_of("Upload"), "client-streaming"));
  EXPECT_TRUE(absl::StrContains(problem_of("Chat"), "client-streaming"));
  EXPECT_TRUE(absl::StrContains(problem_of("PostWatch"), "must be GET"));
  EXPECT_TRUE(absl::StrContains(problem_of("UnaryWithId"), "server-streaming RPCs only"));
  EXPECT_TRUE(absl::StrContains(problem_of("TextId"), "not an integer field"));
  EXPECT_TRUE(absl::StrContains(problem_of("NoSuchId"), "not an integer field"));
  EXPECT_TRUE(absl::StrContains(problem_of("StreamedFile"), "response_body"));
}

TEST(TranscoderTest, PathAndQueryFillTheRequest) {
  const Route& route = RouteOf("/jifen.scoring.v1.LedgerService/ListEntries");
  FieldError error;
  auto message = BuildRequest(route, {{&route.segments[2].field, "7"}},
                              {{"page_size", "20"}, {"pageToken", "abc"}}, "", &error);
  ASSERT_TRUE(message.ok()) << message.status();
  const auto& request = dynamic_cast<const scoring::v1::ListEntriesRequest&>(**message);
  EXPECT_EQ(request.household_id(), 7);
  EXPECT_EQ(request.page_size(), 20);
  EXPECT_EQ(request.page_token(), "abc");
}

TEST(TranscoderTest, BadPathValueNamesTheField) {
  const Route& route = RouteOf("/jifen.scoring.v1.LedgerService/GetWallet");
  FieldError error;
  auto message = BuildRequest(route, {{&route.segments[2].field, "abc"}}, {}, "", &error);
  EXPECT_EQ(message.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error.field, "household_id");
}

TEST(TranscoderTest, UnknownQueryParameterIsRefused) {
  const Route& route = RouteOf("/jifen.scoring.v1.LedgerService/GetWallet");
  FieldError error;
  auto message =
      BuildRequest(route, {{&route.segments[2].field, "1"}}, {{"evil", "1"}}, "", &error);
  EXPECT_FALSE(message.ok());
  EXPECT_EQ(error.field, "evil");
}

// GetBoard's key is a nested message; a GET carries it as dotted query parameters.
TEST(TranscoderTest, DottedQueryFillsNestedMessage) {
  const Route& route = RouteOf("/jifen.publicity.v1.BoardService/GetBoard");
  FieldError error;
  auto message = BuildRequest(route, {},
                              {{"board.scope", "BOARD_SCOPE_VILLAGE"},
                               {"board.villageId", "12"},
                               {"board.period", "2026Q4"},
                               {"page_size", "5"}},
                              "", &error);
  ASSERT_TRUE(message.ok()) << message.status();
  const auto& request = dynamic_cast<const publicity::v1::GetBoardRequest&>(**message);
  EXPECT_EQ(request.board().scope(), publicity::v1::BOARD_SCOPE_VILLAGE);
  EXPECT_EQ(request.board().village_id(), 12);
  EXPECT_EQ(request.board().period(), "2026Q4");
  EXPECT_EQ(request.page_size(), 5);

  for (const char* bad : {"board", "board.nothing", "page_size.x", "board.village_id.x"}) {
    error = {};
    EXPECT_FALSE(BuildRequest(route, {}, {{bad, "1"}}, "", &error).ok()) << bad;
    EXPECT_EQ(error.field, bad);
  }
  error = {};
  EXPECT_FALSE(BuildRequest(route, {}, {{"board.village_id", "x"}}, "", &error).ok());
  EXPECT_EQ(error.field, "board.village_id");
}

TEST(TranscoderTest, BodyJsonWithUnknownFieldsWrongTypesAndMalformed) {
  const Route& route = RouteOf("/jifen.testing.v1.EchoService/Echo");
  FieldError error;
  auto ok = BuildRequest(route, {}, {}, R"({"text":"hi","delayMs":"5"})", &error);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(dynamic_cast<const testing::v1::EchoRequest&>(**ok).delay_ms(), 5);

  error = {};
  EXPECT_FALSE(BuildRequest(route, {}, {}, R"({"text":"hi","admin":true})", &error).ok());
  EXPECT_EQ(error.field, "admin");

  error = {};
  EXPECT_FALSE(BuildRequest(route, {}, {}, R"({"delay_ms":"soon"})", &error).ok());
  EXPECT_EQ(error.field, "delay_ms") << error.reason;

  error = {};
  EXPECT_FALSE(BuildRequest(route, {}, {}, R"({"text":5})", &error).ok());
  EXPECT_EQ(error.field, "text") << error.reason;

  error = {};
  EXPECT_FALSE(BuildRequest(route, {}, {}, R"({"text":)", &error).ok());
  EXPECT_EQ(error.reason, "malformed JSON");

  error = {};
  EXPECT_FALSE(BuildRequest(route, {}, {}, R"([1,2])", &error).ok());
}

TEST(TranscoderTest, NestedUnknownFieldIsNamedWithItsPath) {
  const Route& route = RouteOf("/jifen.scoring.v1.AssessmentService/SubmitInspection");
  FieldError error;
  auto message = BuildRequest(
      route, {}, {},
      R"({"inspection_id":"x","outcomes":[{"item_code":"a"},{"itemCode":"b","pts":3}]})", &error);
  EXPECT_FALSE(message.ok());
  EXPECT_EQ(error.field, "outcomes[1].pts");
}

TEST(TranscoderTest, ResponseJsonPrintsZeros) {
  scoring::v1::Wallet wallet;
  wallet.set_household_id(5);
  auto text = ResponseToJson(*scoring::v1::Wallet::descriptor(), wallet.SerializeAsString());
  ASSERT_TRUE(text.ok());
  auto parsed = nlohmann::json::parse(*text);
  EXPECT_EQ(parsed["household_id"], "5");
  EXPECT_EQ(parsed["balance_points"], "0");
}

TEST(ErrorsTest, MapsCodesAndLeadingIdentifiers) {
  HttpError e = MapStatus(absl::FailedPreconditionError("WALLET_INSUFFICIENT: has 3, needs 5"));
  EXPECT_EQ(e.http_status, 412);
  EXPECT_EQ(e.code, "WALLET_INSUFFICIENT");
  EXPECT_EQ(e.message, "可用积分不足");

  EXPECT_EQ(e.detail, "has 3, needs 5");  // correctable input: the service's explanation

  e = MapStatus(absl::FailedPreconditionError(
      "CAP_EXCEEDED: item LJ-01 has moved 15 of its 15 points for this household in 2025Q3"));
  EXPECT_EQ(e.http_status, 412);
  EXPECT_EQ(e.code, "CAP_EXCEEDED");
  EXPECT_EQ(e.message, "该项目本期积分已达上限");

  e = MapStatus(absl::InvalidArgumentError("issued_date is in the future"));
  EXPECT_EQ(e.code, "INVALID_ARGUMENT");
  EXPECT_EQ(e.detail, "issued_date is in the future");
  EXPECT_NE(ErrorBody(e, "rid").find("\"detail\":\"issued_date is in the future\""),
            std::string::npos);

  e = MapStatus(absl::NotFoundError("household 9 not found"));
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.code, "NOT_FOUND");
  EXPECT_EQ(e.detail, "") << "not-found carries no service text";
  e = MapStatus(absl::PermissionDeniedError("grid_worker may not list households of another grid"));
  EXPECT_EQ(e.code, "PERMISSION_DENIED");
  EXPECT_EQ(e.detail, "");
  EXPECT_EQ(MapStatus(absl::UnavailableError("connecting to 10.0.0.7:3306")).detail, "");

  e = MapStatus(absl::InternalError("SQL_ERROR: SELECT * FROM secrets at db-7.internal"));
  EXPECT_EQ(e.http_status, 500);
  EXPECT_EQ(e.code, "INTERNAL");
  const std::string body = ErrorBody(e, "rid");
  EXPECT_EQ(body.find("secrets"), std::string::npos);
  EXPECT_EQ(body.find("db-7"), std::string::npos);

  EXPECT_EQ(MapStatus(absl::UnauthenticatedError("x")).http_status, 401);
  EXPECT_EQ(MapStatus(absl::PermissionDeniedError("x")).http_status, 403);
  EXPECT_EQ(MapStatus(absl::AlreadyExistsError("x")).http_status, 409);
  EXPECT_EQ(MapStatus(absl::ResourceExhaustedError("x")).http_status, 429);
  EXPECT_EQ(MapStatus(absl::UnavailableError("x")).http_status, 503);
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("x")).http_status, 400);
}

TEST(OpenApiTest, DescribesEveryRouteAndItsSchemas) {
  auto doc = nlohmann::json::parse(GenerateOpenApi(Table()));
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (const Route& route : Table().routes()) {
    std::string method = route.http_method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    EXPECT_TRUE(doc["paths"][route.path_template].contains(method)) << route.path_template;
  }
  EXPECT_TRUE(doc["components"]["schemas"].contains("jifen.scoring.v1.Wallet"));
  auto& get_wallet = doc["paths"]["/v1/households/{household_id}/wallet"]["get"];
  EXPECT_EQ(get_wallet["parameters"][0]["in"], "path");
  EXPECT_TRUE(doc["paths"].contains("/v1/auth/wechat/login"));
  bool board_scope = false;
  for (const auto& parameter : doc["paths"]["/v1/boards"]["get"]["parameters"]) {
    board_scope = board_scope || (parameter["name"] == "board.scope" && parameter["in"] == "query");
  }
  EXPECT_TRUE(board_scope);

  // Errors as clients receive them: every field of the body, and the statuses routes answer.
  const auto& error = doc["components"]["schemas"]["Error"]["properties"];
  for (const char* property : {"code", "message", "request_id", "field", "detail"}) {
    EXPECT_TRUE(error.contains(property)) << property;
  }
  for (const char* status : {"400", "401", "403", "404", "409", "412", "413", "429"}) {
    EXPECT_TRUE(get_wallet["responses"].contains(status)) << status;
  }

  // The redemption ledger is a file download, described as one.
  const auto& ledger_csv =
      doc["paths"]["/v1/villages/{village_id}/store/ledger.csv"]["get"]["responses"]["200"];
  EXPECT_EQ(ledger_csv["content"]["application/octet-stream"]["schema"]["format"], "binary");
  EXPECT_EQ(RouteOf("/jifen.redemption.v1.RedemptionService/ExportLedger").response_body->name(),
            "csv");

  // A board watch is an event stream, described as one, with the message each event carries.
  const auto& watch = doc["paths"]["/v1/villages/{village_id}/boards/watch"]["get"];
  EXPECT_EQ(watch["x-server-streaming"], true);
  const auto& events = watch["responses"]["200"]["content"]["text/event-stream"];
  EXPECT_EQ(events["x-event-data"]["$ref"], "#/components/schemas/jifen.publicity.v1.BoardChange");
  EXPECT_TRUE(doc["components"]["schemas"].contains("jifen.publicity.v1.BoardChange"));
  EXPECT_TRUE(watch["responses"].contains("503"));
  EXPECT_FALSE(watch["responses"]["200"]["content"].contains("application/json"));
  bool period = false;
  for (const auto& parameter : watch["parameters"]) {
    period = period || (parameter["name"] == "period" && parameter["in"] == "query");
  }
  EXPECT_TRUE(period);
}

}  // namespace
}  // namespace jifen::gateway
