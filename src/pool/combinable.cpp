// combinable's process-wide instance ids and each thread's slot cache.
#include <brigade/pool/combinable.hpp>

namespace brigade::detail {
namespace {
// relaxed: the ids only need to be distinct, not ordered with anything else.
constinit atomic<std::uint64_t> last_id{0};
constinit thread_local combinable_cache_entry cache[combinable_cache_size];
}  // namespace

std::uint64_t next_combinable_id() noexcept {
  return last_id.fetch_add(1, memory_order_relaxed) + 1;  // never 0: 0 marks an empty entry
}

combinable_cache_entry* combinable_cache() noexcept {
  return cache;
}

}  // namespace brigade::detail
