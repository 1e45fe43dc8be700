// Channel workload: ints from producer threads to consumer threads through brigade::channel,
// tbb::concurrent_bounded_queue and moodycamel::BlockingConcurrentQueue, each used through its
// blocking calls.
#include "sync/sync.hpp"

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <oneapi/tbb/concurrent_queue.h>
#include <brigade/sync/channel.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace bench::sync {
namespace {

constexpr std::size_t capacity = 1024;

struct state {
  std::unique_ptr<brigade::channel<int>> channel;
  std::unique_ptr<tbb::concurrent_bounded_queue<int>> tbb_queue;
  std::unique_ptr<moodycamel::BlockingConcurrentQueue<int>> moody_queue;
  std::atomic<std::uint64_t> sum{0};  // of every value received
  std::uint64_t expected = 0;         // of every value sent
};

// threads / 2 producers send 1 .. total between them; as many consumers receive total /
// consumers values each, so every value is taken and nobody waits for a value never sent.
template <class Send, class Receive>
void transfer(state& s, long long n, int threads, Send send, Receive receive) {
  const int pairs = threads / 2;
  const long long per = n / pairs;
  const auto total = static_cast<std::uint64_t>(per * pairs);
  s.expected = total * (total + 1) / 2;
  run_threads(2 * pairs, [&](int i) {
    if (i < pairs) {
      const long long first = i * per + 1;
      for (long long v = first; v < first + per; ++v) send(static_cast<int>(v));
    } else {
      std::uint64_t local = 0;
      for (long long k = 0; k < per; ++k) local += static_cast<std::uint64_t>(receive());
      s.sum.fetch_add(local, std::memory_order_relaxed);  // read after join()
    }
  });
}

std::string check_sum(const state& s, std::size_t left) {
  const std::uint64_t got = s.sum.load(std::memory_order_relaxed);
  if (got != s.expected)
    return "received sum " + std::to_string(got) + ", sent " + std::to_string(s.expected);
  if (left != 0) return std::to_string(left) + " values left in the queue";
  return "";
}

}  // namespace

workload make_channel(const config& c) {
  const long long n = c.quick ? 10'000 : 1'000'000;
  auto s = std::make_shared<state>();
  series sr{"channel",
            std::to_string(n) +
                " ints; threads/2 producers, threads/2 consumers (std::threads); capacity 1024 "
                "(moody: unbounded)",
            {}};
  // A fresh queue before every run, untimed.
  sr.impls.push_back({"brigade",
                      [s, n](int threads) {
                        brigade::channel<int>& ch = *s->channel;
                        transfer(
                            *s, n, threads, [&](int v) { ch.blocking_send(v); },
                            [&] { return *ch.blocking_receive(); });
                      },
                      [s] {
                        s->sum = 0;
                        s->channel = std::make_unique<brigade::channel<int>>(capacity);
                      },
                      [s] { return check_sum(*s, s->channel->size()); }});
  sr.impls.push_back(
      {"tbb",
       [s, n](int threads) {
         tbb::concurrent_bounded_queue<int>& q = *s->tbb_queue;
         transfer(
             *s, n, threads, [&](int v) { q.push(v); },
             [&] {
               int v = 0;
               q.pop(v);
               return v;
             });
       },
       [s] {
         s->sum = 0;
         s->tbb_queue = std::make_unique<tbb::concurrent_bounded_queue<int>>();
         s->tbb_queue->set_capacity(capacity);
       },
       [s] { return check_sum(*s, static_cast<std::size_t>(s->tbb_queue->size())); }});
  sr.impls.push_back({"moody",
                      [s, n](int threads) {
                        moodycamel::BlockingConcurrentQueue<int>& q = *s->moody_queue;
                        transfer(
                            *s, n, threads, [&](int v) { q.enqueue(v); },
                            [&] {
                              int v = 0;
                              q.wait_dequeue(v);
                              return v;
                            });
                      },
                      [s] {
                        s->sum = 0;
                        s->moody_queue =
                            std::make_unique<moodycamel::BlockingConcurrentQueue<int>>();
                      },
                      [s] { return check_sum(*s, s->moody_queue->size_approx()); }});
  group g{{sr}, [n](std::vector<result>& rs) {
            for (result& r : rs) {
              const long long total = n / (r.threads / 2) * (r.threads / 2);
              r.extra.emplace_back("mitems_per_s", static_cast<double>(total) / r.median / 1e6);
            }
          }};
  return {g, {2, 8}};
}

}  // namespace bench::sync
