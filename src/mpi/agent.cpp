// The progress agent (see agent.hpp).
#include "agent.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

namespace brigade::mpi::detail {

agent::agent(int* argc, char*** argv, bool force_funneled) {
  thread_ = std::thread([this, argc, argv, force_funneled] { main(argc, argv, force_funneled); });
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return ready_; });
  if (init_error_) {
    lock.unlock();
    thread_.join();
    std::rethrow_exception(init_error_);
  }
}

agent::~agent() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void agent::submit(const std::shared_ptr<op_state>& s) {
  MPI_Request request = MPI_REQUEST_NULL;
  if (mode == thread_mode::multiple) {
    const char* call = nullptr;
    const int rc = start_call(*s, comm, request, call);
    if (rc != MPI_SUCCESS) {
      if (rc != -1) fail(*s, call, rc);
      finish(*s);
      return;
    }
  }
  {
    std::lock_guard lock(mu_);
    inbox_.push_back({s, request});
  }
  cv_.notify_one();
}

void agent::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

void agent::main(int* argc, char*** argv, bool force_funneled) {
  int rc = MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
  if (rc == MPI_SUCCESS) {
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    rc = MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  }
  if (rc == MPI_SUCCESS) rc = MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_rank(comm, &rank);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_size(comm, &size);
  mode = provided == MPI_THREAD_MULTIPLE && !force_funneled ? thread_mode::multiple
                                                            : thread_mode::funneled;
  {
    std::lock_guard lock(mu_);
    if (rc != MPI_SUCCESS) init_error_ = std::make_exception_ptr(make_error("MPI_Init_thread", rc));
    ready_ = true;
  }
  cv_.notify_all();
  if (rc != MPI_SUCCESS) return;

  // Polls with back-off: a few turns that only yield the core, then sleeps doubling from 1 µs
  // to 128 µs, cut short when an operation arrives. A completion resets it.
  int idle = 0;
  bool stop = false;
  bool cancelled_all = false;
  std::vector<entry> arrived;
  for (;;) {
    bool check_cancels = false;
    {
      std::unique_lock lock(mu_);
      if (active_.empty() && inbox_.empty() && !stopping_ && !poked_)
        cv_.wait(lock, [this] { return !inbox_.empty() || stopping_ || poked_; });
      arrived.swap(inbox_);
      stop = stopping_;
      check_cancels = std::exchange(poked_, false);
    }
    for (entry& e : arrived) {
      if (e.request == MPI_REQUEST_NULL) {  // funneled: started here
        const char* call = nullptr;
        const int src = start_call(*e.s, comm, e.request, call);
        if (src != MPI_SUCCESS) {
          if (src != -1) fail(*e.s, call, src);
          finish(*e.s);
          continue;
        }
      }
      active_.push_back(std::move(e.s));
      requests_.push_back(e.request);
    }
    if (!arrived.empty()) idle = 0;
    arrived.clear();
    // Receives whose handle was dropped, or all of them when stopping: cancelled, so that
    // MPI lets go of their buffers (they complete below, as cancelled).
    if (check_cancels || (stop && !cancelled_all)) {
      for (std::size_t i = 0; i < active_.size(); ++i) {
        op_state& s = *active_[i];
        if (s.kind != op_kind::recv) continue;
        bool cancel = stop;
        if (!cancel) {
          std::lock_guard lock(s.mu);
          cancel = s.cancel_requested;
        }
        if (cancel) MPI_Cancel(&requests_[i]);
      }
      if (stop) cancelled_all = true;
    }
    if (active_.empty()) {
      if (stop) break;
      continue;
    }

    int completed = 0;
    indices_.resize(requests_.size());
    statuses_.resize(requests_.size());
    const int rc_test = MPI_Testsome(static_cast<int>(requests_.size()), requests_.data(),
                                     &completed, indices_.data(), statuses_.data());
    if (rc_test != MPI_SUCCESS && rc_test != MPI_ERR_IN_STATUS) {
      // MPI cannot say which failed: every outstanding operation fails with its error.
      for (auto& s : active_) {
        fail(*s, "MPI_Testsome", rc_test);
        finish(*s);
      }
      active_.clear();
      requests_.clear();
      continue;
    }
    if (completed == MPI_UNDEFINED || completed == 0) {
      ++idle;
      if (idle <= 32) {
        std::this_thread::yield();
      } else {
        const int shift = std::min(idle - 33, 7);
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::microseconds(1 << shift),
                     [this] { return !inbox_.empty() || stopping_ || poked_; });
      }
      continue;
    }
    idle = 0;
    for (int k = 0; k < completed; ++k) {
      const auto i = static_cast<std::size_t>(indices_[static_cast<std::size_t>(k)]);
      const MPI_Status& st = statuses_[static_cast<std::size_t>(k)];
      op_state& s = *active_[i];
      const int err = rc_test == MPI_ERR_IN_STATUS ? st.MPI_ERROR : MPI_SUCCESS;
      if (err != MPI_SUCCESS && err != MPI_ERR_PENDING) {
        fail(s, s.kind == op_kind::recv ? "MPI_Irecv" : "MPI_Testsome", err);
      } else if (s.kind == op_kind::recv) {
        int cancelled = 0;
        MPI_Test_cancelled(&st, &cancelled);
        if (cancelled != 0) {
          s.failed = true;
          s.error_code = MPI_ERR_OTHER;
          s.error_text = "MPI_Irecv: cancelled (the operation was dropped or its context ended)";
        } else {
          int n = 0;
          s.result.source = st.MPI_SOURCE;
          s.result.tag = st.MPI_TAG;
          MPI_Get_count(&st, datatype_of(s.type), &n);
          s.result.count = static_cast<std::size_t>(n);
          if (s.type == elem::bytes) s.result.count /= s.elem_size;
        }
      }
      finish(s);
      active_[i].reset();
    }
    std::size_t keep = 0;
    for (std::size_t i = 0; i < active_.size(); ++i) {
      if (!active_[i]) continue;
      active_[keep] = std::move(active_[i]);
      requests_[keep] = requests_[i];
      ++keep;
    }
    active_.resize(keep);
    requests_.resize(keep);
  }
  MPI_Comm_free(&comm);
  MPI_Finalize();
}

}  // namespace brigade::mpi::detail
