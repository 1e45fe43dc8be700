// The progress agent: the thread that initializes MPI, completes every operation by polling
// MPI_Testsome with back-off, starts operations itself in funneled mode, and finalizes MPI.
#pragma once

#include <brigade/mpi/context.hpp>
#include <brigade/mpi/operation.hpp>

#include <mpi.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace brigade::mpi::detail {

/// MPI's datatype for e (MPI_BYTE for elem::bytes).
MPI_Datatype datatype_of(elem e) noexcept;
/// MPI's error string for code.
std::string error_text(int code);
/// Records in s that `call` failed with MPI's code (thrown as mpi::error where s is awaited).
void fail(op_state& s, const char* call, int code);
/// An mpi::error for a failed call ("MPI_Isend: MPI_ERR_RANK: invalid rank").
error make_error(const char* call, int code);

class agent {
 public:
  /// Starts the agent thread, which initializes MPI; returns once it has (or throws what
  /// initializing threw).
  agent(int* argc, char*** argv, bool force_funneled);
  /// Stops the agent: outstanding receives are cancelled, the rest completed, then MPI is
  /// finalized on the agent thread.
  ~agent();
  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;

  /// Starts s (here in multiple mode, on the agent in funneled mode) and has the agent
  /// complete it.
  void submit(const std::shared_ptr<op_state>& s);
  /// Wakes the agent to look at cancel requests.
  void poke();

  int rank = 0;
  int size = 1;
  int provided = MPI_THREAD_SINGLE;
  thread_mode mode = thread_mode::funneled;
  MPI_Comm comm = MPI_COMM_NULL;  // a duplicate of MPI_COMM_WORLD returning errors

 private:
  struct entry {
    std::shared_ptr<op_state> s;
    MPI_Request request;  // MPI_REQUEST_NULL: not started yet (funneled)
  };
  void main(int* argc, char*** argv, bool force_funneled);
  void take_inbox();
  void poll();

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<entry> inbox_;  // guarded by mu_
  bool poked_ = false;        // guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  bool ready_ = false;        // guarded by mu_: initialization finished (or failed)
  std::exception_ptr init_error_;
  // Agent thread only.
  std::vector<std::shared_ptr<op_state>> active_;
  std::vector<MPI_Request> requests_;
  std::vector<int> indices_;
  std::vector<MPI_Status> statuses_;
  std::thread thread_;
};

/// Starts s's MPI call on comm; returns MPI's code (MPI_SUCCESS or an error), and stores an
/// argument error (a count too large for MPI) in s as an exception with code -1.
int start_call(op_state& s, MPI_Comm comm, MPI_Request& request, const char*& call);

/// Marks s done with its result (or error) and resumes its waiter.
void finish(op_state& s) noexcept;

}  // namespace brigade::mpi::detail
