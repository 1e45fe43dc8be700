// The io_uring backend — placeholder until the real one lands: reports "unavailable", so loops
// fall back to epoll (and BRIGADE_IO=uring is an error).
#include "reactor.hpp"

namespace brigade::detail {

std::unique_ptr<reactor> make_uring_reactor(loop_core&) { return nullptr; }

}  // namespace brigade::detail
