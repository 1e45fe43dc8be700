// Running a brigade::pipeline on a pool.
//
// The protocol, in short:
//
// - Tokens. A pipeline owns `tokens` token objects, each a job with a slot for one item; an
//   item exists only inside a token, so at most `tokens` items are ever in flight. A worker
//   carries a token from stage to stage in one loop (advance) until the token must wait.
// - The source. One token at a time calls the source (source_busy_, under source_mu_, a spin
//   lock: its critical sections are a few instructions). After
//   a successful call it numbers the item, takes another free token if there is one and
//   schedules it to call the source next (so producing goes on while this item travels), and
//   continues with its own item. A token leaving the sink calls the source itself when nobody
//   else is about to; otherwise it goes back to the free list.
// - Serial stages. A gate admits one item at a time: in order, the item whose number is next
//   (lock-free; others park in a slot indexed by number modulo tokens, see pipeline_gate); out
//   of order, any item (others wait in a FIFO under a lock). The item leaving hands the stage
//   to the next waiting one and schedules it.
// - Failure. The first exception is kept; after it nobody calls the source or a stage again,
//   but every item in flight still walks through every gate (destroyed, not processed) so that
//   the in-order gates keep counting and every token comes home.
// - End. The run is over when the source is closed and every token is back on the free list:
//   decided under source_mu_ by exactly one thread, which then signals the waiter as its last
//   access to the pipeline (run_completion).
// - Coroutine stages. A stage returning task<U> is started by a driver coroutine on the event
//   loop that awaits the run (or inline on the worker when there is none); when the task is
//   done the driver stores the result and schedules the token again to leave the stage.
#include <brigade/par/detail/pipeline_core.hpp>

#include <brigade/core/detail/trace_hooks.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace brigade::detail {

pipeline_core::pipeline_core(std::size_t tokens, std::vector<stage_mode> modes)
    : token_count_(tokens), modes_(std::move(modes)) {
  if (tokens == 0)
    throw std::invalid_argument(
        "brigade::pipeline: the number of tokens (items in flight) must be at least 1, got 0");
  tokens_ = std::make_unique<pipeline_token[]>(tokens);
  for (std::size_t i = 0; i < tokens; ++i) {
    tokens_[i].owner = this;
    tokens_[i].index = i;
  }
  gates_ = std::make_unique<pipeline_gate[]>(modes_.size());
  for (std::size_t k = 0; k < modes_.size(); ++k) {
    if (modes_[k] == stage_mode::serial_in_order) {
      gates_[k].meet = std::make_unique<pipeline_gate::meeting[]>(tokens);
    }
    if (modes_[k] == stage_mode::serial_out_of_order) gates_[k].waiting.assign(tokens, nullptr);
  }
  free_.reserve(tokens);
}

pipeline_core::~pipeline_core() = default;

void pipeline_token::run_token(job& j) noexcept {
  pipeline_token* t = &static_cast<pipeline_token&>(j);
  pipeline_core& core = *t->owner;
  // advance() returns null after its last access to the pipeline.
  while (t != nullptr) t = core.advance(*t);
}

void pipeline_core::claim() {
  // acquire pairs with end_run's release: the previous run happens before this one.
  if (running_.exchange(true, memory_order_acquire))
    throw std::logic_error("brigade::pipeline::run: the pipeline is already running");
}

void pipeline_core::reset_for_run() noexcept {
  // Plain and relaxed writes: the first push or inject (release) publishes them.
  failed_.store(false, memory_order_relaxed);
  error_ = nullptr;
  source_busy_ = true;  // token 0 calls the source first
  source_closed_ = false;
  next_seq_ = 0;
  free_.clear();
  trace_source_last_ = trace_caller_;
  for (std::size_t i = token_count_; i-- > 1;) free_.push_back(&tokens_[i]);
  for (std::size_t i = 0; i < token_count_; ++i) {
    tokens_[i].stage = 0;
    tokens_[i].admitted = false;
    tokens_[i].async_done = false;
    tokens_[i].trace_prev = 0;
  }
  for (std::size_t k = 0; k < modes_.size(); ++k) {
    pipeline_gate& g = gates_[k];
    if (g.meet) {  // item 0 finds its gate open
      for (std::size_t i = 0; i < token_count_; ++i)
        g.meet[i].mark.store(pipeline_gate::none, memory_order_relaxed);
      g.meet[0].mark.store(0, memory_order_relaxed);
    }
    g.busy = false;
    g.head = 0;
    g.count = 0;
    g.trace_last = 0;
    for (auto& w : g.waiting) w = nullptr;
  }
}

void pipeline_core::run_blocking(scheduler& s) {
  claim();
  sched_ = &s;
  home_ = nullptr;
  const bool traced = tracing::on();
  trace_caller_ = traced ? tracing::end_segment() : 0;
  trace_join_ = traced ? tracing::new_segment_id() : 0;
  if (trace_caller_ != 0) tracing::record(tracing::kind::edge, trace_caller_, trace_join_, nullptr);
  reset_for_run();
  worker* w = current_worker();
  if (w != nullptr && &w->sched() == &s) {
    completion_.arm_worker(*w);
    for (pipeline_token* t = &tokens_[0]; t != nullptr; t = advance(*t)) {
    }
    completion_.wait_helping(*w);
  } else {
    completion_.arm_thread();
    try {
      s.inject(&tokens_[0]);
    } catch (...) {  // out of memory in the injection queue: nothing started
      running_.store(false, memory_order_release);
      throw;
    }
    completion_.wait_sleeping();
  }
  if (trace_join_ != 0) tracing::begin_segment_as(std::exchange(trace_join_, 0), nullptr);
  end_run();
}

void pipeline_core::trace_to_join(std::uint64_t segment) noexcept {
  if (segment != 0 && trace_join_ != 0)
    tracing::record(tracing::kind::edge, segment, trace_join_, nullptr);
}

void pipeline_core::begin_async() {
  claim();
}

void pipeline_core::start_async(scheduler& s, std::coroutine_handle<> h,
                                resume_context* where) noexcept {
  sched_ = &s;
  home_ = where;
  trace_caller_ = 0;  // the awaiting coroutine resumes after the last item (its loop records it)
  trace_join_ = 0;
  reset_for_run();
  completion_.arm_coroutine(h, where);
  schedule(tokens_[0]);  // last access: the run may end and resume h from here on
}

void pipeline_core::end_run() {
  std::exception_ptr e = std::exchange(error_, nullptr);
  running_.store(false, memory_order_release);
  if (e) std::rethrow_exception(e);
}

void pipeline_core::fail(std::exception_ptr e) noexcept {
  // acq_rel exchange: exactly one winner writes error_; it reaches the waiter through
  // source_mu_ (the winner's token comes home under it) and the completion.
  if (!failed_.exchange(true, memory_order_acq_rel)) error_ = std::move(e);
}

void pipeline_core::schedule(pipeline_token& t) noexcept {
  queue_job(*sched_, &t);
}

void pipeline_core::resume_token(pipeline_token& t) noexcept {
  t.async_done = true;
  schedule(t);
}

pipeline_token* pipeline_core::advance(pipeline_token& t) noexcept {
  if (t.stage == 0) return produce_into(t);
  if (t.async_done) {
    t.async_done = false;
    return leave(t);
  }
  const stage_mode mode = modes_[t.stage - 1];
  if (mode != stage_mode::parallel && !t.admitted && !admit(gates_[t.stage - 1], mode, t))
    return nullptr;  // parked at the gate; the item before it will schedule it
  t.admitted = false;
  if (failed_.load(memory_order_relaxed)) {
    discard(t.index);
    return leave(t);
  }
  const bool traced = tracing::on();
  pipeline_gate* serial = mode != stage_mode::parallel ? &gates_[t.stage - 1] : nullptr;
  if (traced) tracing::begin_segment(nullptr, t.trace_prev, serial ? serial->trace_last : 0);
  stage_outcome outcome = stage_outcome::done;
  try {
    outcome = invoke(t.stage, t);
  } catch (...) {
    discard(t.index);
    fail(std::current_exception());
  }
  if (traced) {
    t.trace_prev = tracing::end_segment();
    if (serial != nullptr) serial->trace_last = t.trace_prev;  // before leave() hands it on
  }
  if (outcome == stage_outcome::pending) return nullptr;  // a driver has it
  return leave(t);
}

pipeline_token* pipeline_core::leave(pipeline_token& t) noexcept {
  const std::size_t k = t.stage;
  const stage_mode mode = modes_[k - 1];
  if (mode != stage_mode::parallel) {
    if (pipeline_token* next = release(gates_[k - 1], mode, t.seq)) {
      next->admitted = true;  // it owns the stage now; nobody else touches it
      schedule(*next);
    }
  }
  if (k == modes_.size()) return finish(t);
  t.stage = k + 1;
  return &t;
}

pipeline_token* pipeline_core::produce_into(pipeline_token& t) noexcept {
  // This token owns the source: source_busy_ was set for it under source_mu_.
  bool got = false;
  const bool traced = tracing::on();
  // Not after the token's previous item: which free token makes the call is the schedule's
  // choice. The bound on items in flight is a resource, like a core count, not a dependency.
  if (traced) tracing::begin_segment(nullptr, trace_source_last_);
  if (!failed_.load(memory_order_relaxed)) {
    try {
      got = produce(t.index);
    } catch (...) {
      discard(t.index);
      fail(std::current_exception());
    }
  }
  if (traced) {
    t.trace_prev = trace_source_last_ = tracing::end_segment();  // before handing the source on
    if (!got) trace_to_join(t.trace_prev);
  }
  pipeline_token* producer = nullptr;
  bool last = false;
  {
    std::lock_guard lock(source_mu_);
    if (!got) {
      source_closed_ = true;
      source_busy_ = false;
      free_.push_back(&t);
      last = free_.size() == token_count_;
    } else {
      t.seq = next_seq_++;
      if (!free_.empty()) {
        producer = free_.back();
        free_.pop_back();
      } else {
        source_busy_ = false;
      }
    }
  }
  if (!got) {
    if (last) completion_.signal();  // last access
    return nullptr;
  }
  if (producer != nullptr) {
    producer->stage = 0;
    schedule(*producer);
  }
  t.stage = 1;
  return &t;
}

pipeline_token* pipeline_core::finish(pipeline_token& t) noexcept {
  discard(t.index);  // what the sink left (a moved-from item) goes now, not at the next use
  trace_to_join(t.trace_prev);
  bool last = false;
  {
    std::lock_guard lock(source_mu_);
    if (!source_closed_ && !source_busy_) {
      source_busy_ = true;  // nobody is producing: this token calls the source next
      t.stage = 0;
      return &t;
    }
    free_.push_back(&t);
    last = source_closed_ && free_.size() == token_count_;
  }
  if (last) completion_.signal();  // last access
  return nullptr;
}

bool pipeline_core::admit(pipeline_gate& g, stage_mode mode, pipeline_token& t) noexcept {
  if (mode == stage_mode::serial_in_order) {
    const std::uint64_t seq = t.seq;
    const std::size_t i = seq % token_count_;
    g.meet[i].parked = &t;
    // acq_rel: release publishes `parked` and the token to the item before, if it comes
    // second; acquire takes that item's work in the stage, if it came first.
    const std::uint64_t was = g.meet[i].mark.exchange(2 * seq + 1, memory_order_acq_rel);
    return was == 2 * seq;  // open for us: enter. Otherwise the one before schedules us.
  }
  std::lock_guard lock(g.mu);
  if (!g.busy) {
    g.busy = true;
    return true;
  }
  g.waiting[(g.head + g.count) % token_count_] = &t;
  ++g.count;
  return false;
}

pipeline_token* pipeline_core::release(pipeline_gate& g, stage_mode mode,
                                       std::uint64_t seq) noexcept {
  if (mode == stage_mode::serial_in_order) {
    const std::uint64_t next = seq + 1;
    const std::size_t i = next % token_count_;
    // acq_rel: release publishes this item's work in the stage to the next item; acquire takes
    // its `parked` entry when it came first.
    const std::uint64_t was = g.meet[i].mark.exchange(2 * next, memory_order_acq_rel);
    return was == 2 * next + 1 ? g.meet[i].parked : nullptr;
  }
  std::lock_guard lock(g.mu);
  if (g.count != 0) {
    pipeline_token* next = g.waiting[g.head];
    g.head = (g.head + 1) % token_count_;
    --g.count;
    return next;
  }
  g.busy = false;
  return nullptr;
}

}  // namespace brigade::detail
