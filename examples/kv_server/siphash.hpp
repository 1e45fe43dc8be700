// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash. The kv table hashes keys
// with a key drawn at random per table, so a client cannot choose keys that collide (hash
// flooding); std::hash's MurmurHash is unkeyed, and its collisions can be computed offline.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kv {

struct sip_key {
  std::uint64_t k0 = 0, k1 = 0;
};

namespace detail {

inline std::uint64_t load_le64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

struct sip_state {
  std::uint64_t v0, v1, v2, v3;
  void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13) ^ v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16) ^ v2;
    v0 += v3;
    v3 = std::rotl(v3, 21) ^ v0;
    v2 += v1;
    v1 = std::rotl(v1, 17) ^ v2;
    v2 = std::rotl(v2, 32);
  }
  void absorb(std::uint64_t m) noexcept {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace detail

/// SipHash-2-4 of s under key k (the reference algorithm: the key and the message read as
/// little-endian words).
inline std::uint64_t siphash(const sip_key& k, std::string_view s) noexcept {
  detail::sip_state st{k.k0 ^ 0x736f6d6570736575ull, k.k1 ^ 0x646f72616e646f6dull,
                       k.k0 ^ 0x6c7967656e657261ull, k.k1 ^ 0x7465646279746573ull};
  const char* p = s.data();
  const std::size_t n = s.size();
  const char* const whole_end = p + (n & ~std::size_t{7});
  for (; p != whole_end; p += 8) st.absorb(detail::load_le64(p));
  // The last word: the remaining bytes, and the length's low byte on top.
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
  for (std::size_t i = 0; i < (n & 7); ++i)
    last |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  st.absorb(last);
  st.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) st.round();
  return st.v0 ^ st.v1 ^ st.v2 ^ st.v3;
}

}  // namespace kv
