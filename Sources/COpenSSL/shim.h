// OpenSSL's libcrypto (pkg-config libcrypto): HMAC-SHA256 for the keyed case ids of `medsynth import`.
#include <openssl/evp.h>
#include <openssl/hmac.h>
