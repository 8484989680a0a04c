// The service chassis on real processes: health follows the database, reflection lists the
// services, SIGTERM drains calls in flight, tokens are checked on every call.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/generic_stub.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <signal.h>
#include <sys/wait.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/test_keys.h"
#include "common/auth/token.h"
#include "common/grpc/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/testing/v1/echo.grpc.pb.h"
#include "jifen/testing/v1/grpc_health.grpc.pb.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/service_process.h"
#include "tests/support/testenv.h"

namespace jifen::testing {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::IsSupersetOf;

HealthCheckResponse::ServingStatus HealthOf(const std::shared_ptr<grpc::Channel>& channel,
                                            const std::string& service) {
  auto stub = Health::NewStub(channel);
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  auto context = grpc_util::NewClientContext(absl::Seconds(2), "");
  if (!stub->Check(context.get(), request, &response).ok()) return HealthCheckResponse::UNKNOWN;
  return response.status();
}

bool WaitForHealth(const std::shared_ptr<grpc::Channel>& channel,
                   HealthCheckResponse::ServingStatus wanted, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (HealthOf(channel, "") == wanted) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

// Lists services over grpc.reflection.v1alpha, with the message types that the reflection
// library itself registered in the generated pool.
std::vector<std::string> ReflectedServices(const std::shared_ptr<grpc::Channel>& channel) {
  using google::protobuf::DescriptorPool;
  using google::protobuf::DynamicMessageFactory;
  // Links the reflection library, whose generated messages this client borrows.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  const auto* request_type =
      pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionRequest");
  const auto* response_type =
      pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionResponse");
  if (request_type == nullptr || response_type == nullptr) return {};
  DynamicMessageFactory factory(pool);
  std::unique_ptr<google::protobuf::Message> request(factory.GetPrototype(request_type)->New());
  request->GetReflection()->SetString(request.get(),
                                      request_type->FindFieldByName("list_services"), "*");
  std::string bytes = request->SerializeAsString();

  grpc::GenericStub stub(channel);
  auto context = grpc_util::NewClientContext(absl::Seconds(5), "");
  grpc::CompletionQueue queue;
  void* tag = nullptr;
  bool ok = false;
  auto call = stub.PrepareCall(context.get(),
                               "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                               &queue);
  call->StartCall(reinterpret_cast<void*>(1));
  queue.Next(&tag, &ok);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer outgoing(&slice, 1);
  call->WriteLast(outgoing, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  queue.Next(&tag, &ok);
  grpc::ByteBuffer incoming;
  call->Read(&incoming, reinterpret_cast<void*>(3));
  queue.Next(&tag, &ok);
  std::vector<std::string> names;
  if (ok) {
    std::vector<grpc::Slice> slices;
    (void)incoming.Dump(&slices);
    std::string received;
    for (const grpc::Slice& part : slices) {
      received.append(reinterpret_cast<const char*>(part.begin()), part.size());
    }
    std::unique_ptr<google::protobuf::Message> response(
        factory.GetPrototype(response_type)->New());
    response->ParseFromString(received);
    const auto* list_field = response_type->FindFieldByName("list_services_response");
    const auto& list = response->GetReflection()->GetMessage(*response, list_field);
    const auto* service_field = list.GetDescriptor()->FindFieldByName("service");
    for (int i = 0; i < list.GetReflection()->FieldSize(list, service_field); ++i) {
      const auto& service = list.GetReflection()->GetRepeatedMessage(list, service_field, i);
      names.push_back(service.GetReflection()->GetString(
          service, service.GetDescriptor()->FindFieldByName("name")));
    }
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return names;
}

TEST(ChassisTest, ServiceAnswersHealthAndListsItsServicesOverReflection) {
  ScoringHarness scoring("chassis_health");
  ASSERT_TRUE(scoring.Start());
  EXPECT_EQ(HealthOf(scoring.channel(), ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthOf(scoring.channel(), "jifen.scoring.v1.LedgerService"),
            HealthCheckResponse::SERVING);
  EXPECT_THAT(ReflectedServices(scoring.channel()),
              IsSupersetOf({"jifen.scoring.v1.LedgerService", "jifen.scoring.v1.RulebookService",
                            "jifen.scoring.v1.AssessmentService",
                            "jifen.scoring.v1.RegistryService", "grpc.health.v1.Health"}));
}

TEST(ChassisTest, HealthFollowsTheDatabaseWithoutARestart) {
  ScoringHarness scoring("chassis_db_down");
  ASSERT_TRUE(scoring.Start());
  ASSERT_TRUE(WaitForHealth(scoring.channel(), HealthCheckResponse::SERVING, absl::Seconds(10)));
  KillMySql();
  EXPECT_TRUE(WaitForHealth(scoring.channel(), HealthCheckResponse::NOT_SERVING,
                            absl::Seconds(20)));
  StartMySql();
  EXPECT_TRUE(WaitForHealth(scoring.channel(), HealthCheckResponse::SERVING, absl::Seconds(30)));
  EXPECT_TRUE(scoring.process().running());
  // And real calls work again through the same pool.
  const SeededVillage village = scoring.SeedVillage(1);
  EXPECT_NE(village.household_ids.at(0), 0);
}

// The status /healthz answers with, or 0 when no answer came within `wait`.
int HealthzStatus(const ServiceProcess& gateway, absl::Duration wait) {
  httplib::Client client("127.0.0.1", gateway.port());
  const auto seconds = absl::ToInt64Seconds(wait);
  client.set_read_timeout(seconds, 0);
  client.set_write_timeout(seconds, 0);
  const httplib::Result result = client.Get("/healthz");
  return result ? result->status : 0;
}

// A database that accepts connections but answers nothing (frozen) must not keep a service
// SERVING, nor make /healthz hang, until the driver gives up on its read: both processes here wait
// five minutes for a statement (--mysql_io_timeout), and still say within a minute that they are
// not ready.
TEST(ChassisTest, HealthSaysNotServingWhileTheDatabaseHangs) {
  if (!std::filesystem::exists(BinaryPath("services/gateway/jifen-gateway"))) {
    GTEST_SKIP() << "jifen-gateway is not built (JIFEN_SERVICES)";
  }
  ScoringHarness scoring("chassis_db_hangs");
  ASSERT_TRUE(scoring.Prepare());
  ASSERT_TRUE(scoring.Launch({"--mysql_io_timeout=300s"}));
  const std::string work_dir = absl::StrCat(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp",
                                            "/jifen-chassis-gw-", getpid());
  std::filesystem::create_directories(work_dir + "/photos");
  const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
  std::ofstream(work_dir + "/private.pem") << keys.private_key_pem;
  std::ofstream(work_dir + "/public.pem") << keys.public_key_pem;
  ServiceProcess gateway(
      "gateway", "services/gateway/jifen-gateway",
      {absl::StrCat("--mysql_host=", TestMySql().host),
       absl::StrCat("--mysql_port=", TestMySql().port), "--mysql_user=" + TestMySql().user,
       "--mysql_password=" + TestMySql().password,
       "--mysql_database=" + CreateFreshDatabase("chassis_gw_hangs"),
       "--migrations_dir=" + SourcePath("services/gateway/migrations"),
       "--mysql_io_timeout=300s", absl::StrCat("--redis_host=", TestRedis().host),
       absl::StrCat("--redis_port=", TestRedis().port),
       absl::StrCat("--redis_prefix=chassis", getpid(), ":"),
       "--token_public_key=" + work_dir + "/public.pem",
       "--token_private_key=" + work_dir + "/private.pem",
       "--scoring_address=" + scoring.address(), "--photo_dir=" + work_dir + "/photos",
       "--drain_timeout=1s"});
  ASSERT_TRUE(gateway.Start());
  ASSERT_TRUE(WaitForHealth(scoring.channel(), HealthCheckResponse::SERVING, absl::Seconds(10)));
  ASSERT_EQ(HealthzStatus(gateway, absl::Seconds(10)), 200);

  FreezeMySql();
  absl::Cleanup thaw = [] { ThawMySql(); };
  EXPECT_TRUE(WaitForHealth(scoring.channel(), HealthCheckResponse::NOT_SERVING,
                            absl::Seconds(60)));
  EXPECT_EQ(HealthzStatus(gateway, absl::Seconds(60)), 503);

  std::move(thaw).Invoke();
  EXPECT_TRUE(WaitForHealth(scoring.channel(), HealthCheckResponse::SERVING, absl::Seconds(60)));
  int healthz = 0;
  for (int attempt = 0; attempt < 60 && (healthz = HealthzStatus(gateway, absl::Seconds(10))) != 200;
       ++attempt) {
    absl::SleepFor(absl::Seconds(1));
  }
  EXPECT_EQ(healthz, 200);
  std::filesystem::remove_all(work_dir);
}

class EchoProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
    key_path_ = absl::StrCat(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp",
                             "/jifen-echo-key-", getpid(), ".pem");
    FILE* file = std::fopen(key_path_.c_str(), "w");
    std::fputs(keys.public_key_pem.c_str(), file);
    std::fclose(file);
    signer_ = *auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});
    auth::Caller caller;
    caller.user_id = "tester";
    caller.role = auth::Role::kDistrictOfficial;
    token_ = *signer_->Sign(caller, absl::Now(), absl::Minutes(10));
    echo_ = std::make_unique<ServiceProcess>(
        "echo", "tests/jifen-echo-server",
        std::vector<std::string>{"--token_public_key=" + key_path_, "--drain_timeout=10s"});
    ASSERT_TRUE(echo_->Start());
    channel_ = grpc_util::NewChannel(echo_->address(), 1 << 20);
  }
  void TearDown() override { std::remove(key_path_.c_str()); }

  grpc::Status Echo(const std::string& token, int64_t delay_ms,
                    jifen::testing::v1::EchoResponse* response) {
    auto stub = jifen::testing::v1::EchoService::NewStub(channel_);
    jifen::testing::v1::EchoRequest request;
    request.set_text("你好");
    request.set_delay_ms(delay_ms);
    return stub->Echo(grpc_util::NewClientContext(absl::Seconds(30), token).get(), request,
                      response);
  }

  std::string key_path_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::string token_;
  std::unique_ptr<ServiceProcess> echo_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(EchoProcessTest, SigtermLetsCallsInFlightFinishAndRefusesNewOnes) {
  constexpr int kCalls = 20;
  std::vector<grpc::Status> statuses(kCalls);
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      ++started;
      jifen::testing::v1::EchoResponse response;
      statuses[i] = Echo(token_, 1500, &response);
    });
  }
  // Wait until the server holds every call (its log shows nothing yet: calls end after 1.5 s).
  while (started.load() < kCalls) std::this_thread::yield();
  absl::SleepFor(absl::Milliseconds(500));
  const auto terminated_at = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(echo_->pid(), SIGTERM), 0);
  absl::SleepFor(absl::Milliseconds(200));
  jifen::testing::v1::EchoResponse late;
  const grpc::Status refused = Echo(token_, 0, &late);
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_TRUE(statuses[i].ok()) << "call " << i << ": " << statuses[i].error_message();
  }
  EXPECT_FALSE(refused.ok());
  const int exit_status = echo_->Terminate(15);
  EXPECT_TRUE(WIFEXITED(exit_status)) << exit_status;
  EXPECT_EQ(WEXITSTATUS(exit_status), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - terminated_at, std::chrono::seconds(12));
}

TEST_F(EchoProcessTest, EveryCallNeedsAValidToken) {
  jifen::testing::v1::EchoResponse response;
  ASSERT_TRUE(Echo(token_, 0, &response).ok());
  EXPECT_EQ(response.caller_user_id(), "tester");
  EXPECT_EQ(response.caller_role(), "district_official");
  EXPECT_EQ(Echo("", 0, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Echo(token_ + "x", 0, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auth::Caller caller;
  caller.user_id = "late";
  caller.role = auth::Role::kResident;
  const std::string expired =
      *signer_->Sign(caller, absl::Now() - absl::Hours(2), absl::Minutes(15));
  EXPECT_EQ(Echo(expired, 0, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // The scheme's case doesn't matter (RFC 9110); anything but "Bearer <token>" is no token.
  auto stub = jifen::testing::v1::EchoService::NewStub(channel_);
  jifen::testing::v1::EchoRequest request;
  const auto echo_with = [&](const std::string& authorization) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context.AddMetadata("authorization", authorization);
    return stub->Echo(&context, request, &response).error_code();
  };
  EXPECT_EQ(echo_with("bearer " + token_), grpc::StatusCode::OK);
  EXPECT_EQ(echo_with("BEARER  " + token_), grpc::StatusCode::OK);
  EXPECT_EQ(echo_with("Bearer" + token_), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(echo_with("Basic " + token_), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace jifen::testing
