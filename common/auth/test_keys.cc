#include "common/auth/test_keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <memory>

namespace jifen::auth {
namespace {

std::string DrainBio(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

}  // namespace

TestKeyPair GenerateTestKeyPair() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) std::abort();
  std::unique_ptr<BIO, decltype(&BIO_free)> private_bio(BIO_new(BIO_s_mem()), BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> public_bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_PrivateKey(private_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_bio.get(), key.get()) != 1) {
    std::abort();
  }
  return TestKeyPair{DrainBio(private_bio.get()), DrainBio(public_bio.get())};
}

}  // namespace jifen::auth
