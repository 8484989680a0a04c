// Fresh ES256 key pairs for tests, so no key material is committed.
#pragma once

#include <string>

namespace jifen::auth {

struct TestKeyPair {
  std::string private_key_pem;  // PKCS#8
  std::string public_key_pem;   // SubjectPublicKeyInfo
};

// Generates a P-256 key pair. Aborts on OpenSSL failure (test-only code).
TestKeyPair GenerateTestKeyPair();

}  // namespace jifen::auth
