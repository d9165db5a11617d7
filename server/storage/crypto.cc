#include "server/storage/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/escaping.h"
#include "server/base/log.h"

namespace mpower {
namespace {

// OpenSSL 3 looks EVP_sha256() up by name on every digest (an "implicit
// fetch"; see OpenSSL's crypto(7), "Performance"). That lookup was a third
// of hashing a bearer token, which every call does. Fetched once, it lives
// as long as the process.
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return fetched != nullptr ? fetched : EVP_sha256();
}

// AES-256-GCM, fetched from OpenSSL once rather than looked up by name on
// every seal and open (OpenSSL 3's implicit fetch; crypto(7), "Performance").
const EVP_CIPHER* AesGcmAlgorithm() {
  static const EVP_CIPHER* const fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return fetched != nullptr ? fetched : EVP_aes_256_gcm();
}

// Runs AES-256-GCM one way or the other. Returns false if the tag does not
// verify (decryption) or OpenSSL fails.
bool RunGcm(bool encrypt, absl::string_view key, absl::string_view nonce,
            absl::string_view associated_data, absl::string_view input, std::string& output,
            std::string& tag) {
  if (key.size() != kAeadKeyBytes || nonce.size() != kAeadNonceBytes) return false;
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  const auto* nonce_bytes = reinterpret_cast<const unsigned char*>(nonce.data());
  if (ctx == nullptr || EVP_CipherInit_ex(ctx.get(), AesGcmAlgorithm(), nullptr, key_bytes,
                                          nonce_bytes, encrypt ? 1 : 0) != 1) {
    return false;
  }
  int length = 0;
  if (!associated_data.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char*>(associated_data.data()),
                       static_cast<int>(associated_data.size())) != 1) {
    return false;
  }
  output.resize(input.size());
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(output.data()), &length,
                       reinterpret_cast<const unsigned char*>(input.data()),
                       static_cast<int>(input.size())) != 1) {
    return false;
  }
  if (!encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagBytes, tag.data()) != 1) {
    return false;
  }
  int final_length = 0;
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(output.data()) + length,
                         &final_length) != 1) {
    return false;
  }
  if (encrypt) {
    tag.resize(kAeadTagBytes);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagBytes, tag.data()) != 1) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string RandomBytes(size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    Log(LogLevel::kError, "crypto", "the random number generator failed; stopping");
    std::abort();
  }
  return bytes;
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, Sha256Algorithm(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string AesGcmSeal(absl::string_view key, absl::string_view nonce,
                       absl::string_view associated_data, absl::string_view plaintext) {
  std::string ciphertext;
  std::string tag;
  if (!RunGcm(/*encrypt=*/true, key, nonce, associated_data, plaintext, ciphertext, tag)) {
    return "";  // only on misuse (a wrong key or nonce size): opens as nothing
  }
  return ciphertext + tag;
}

std::optional<std::string> AesGcmOpen(absl::string_view key, absl::string_view nonce,
                                      absl::string_view associated_data, absl::string_view sealed) {
  if (sealed.size() < kAeadTagBytes) return std::nullopt;
  std::string tag(sealed.substr(sealed.size() - kAeadTagBytes));
  std::string plaintext;
  if (!RunGcm(/*encrypt=*/false, key, nonce, associated_data,
              sealed.substr(0, sealed.size() - kAeadTagBytes), plaintext, tag)) {
    return std::nullopt;
  }
  return plaintext;
}

std::string HmacSha256(absl::string_view key, absl::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(Sha256Algorithm(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace mpower
