// brigade::mpi — one brigade runtime per rank, MPI between ranks (optional component, built when
// Open MPI is found; `find_package(brigade CONFIG REQUIRED COMPONENTS mpi)`, `brigade::mpi`).
//
//   int main(int argc, char** argv) {
//     return brigade::mpi::run(argc, argv, [](brigade::mpi::context& ctx) {
//       std::vector<double> v(100, ctx.rank());
//       brigade::mpi::allreduce(std::span(v), brigade::mpi::reduce_op::sum).wait();
//       return 0;
//     });
//   }
//
// The context initializes MPI on a progress thread of its own (the "progress agent") asking for
// MPI_THREAD_MULTIPLE. Nonblocking operations (operation.hpp) are started where they are
// created when MPI gives MULTIPLE, or by the agent when it gives less (every MPI call is then
// funneled through that one thread); either way the agent completes them by polling
// MPI_Testsome with back-off, so a coroutine waiting for a message costs no thread.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace brigade::mpi {

/// How MPI calls reach MPI.
enum class thread_mode {
  multiple,  ///< MPI_THREAD_MULTIPLE: operations start on the thread that creates them
  funneled,  ///< every MPI call is made by the progress agent (the thread that initialized MPI)
};

/// "multiple" or "funneled".
const char* to_string(thread_mode m) noexcept;

struct context_options {
  /// Funnel every MPI call through the progress agent even when MPI offers
  /// MPI_THREAD_MULTIPLE. The environment variable BRIGADE_MPI_THREADS=funneled sets it too
  /// (=multiple or unset: ask for MULTIPLE; anything else is a std::invalid_argument).
  bool force_funneled = false;
};

/// An error reported by MPI: what() names the call and MPI's error string
/// ("MPI_Isend: MPI_ERR_RANK: invalid rank"); code() is MPI's error class.
class error : public std::runtime_error {
 public:
  error(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// MPI for this process: initialized by the constructor, finalized by the destructor. One per
/// process, for the life of the program (MPI cannot be initialized twice).
///
/// Thread safety: rank(), size(), mode() from any thread. The operations of operation.hpp may
/// be started and awaited from any thread while the context lives; collectives must be started
/// in the same order on every rank (MPI's rule), so start them from one thread (or one
/// coroutine) per rank.
///
/// Errors: a second context, or one after MPI was finalized: std::logic_error. MPI failing to
/// initialize: mpi::error. A bad BRIGADE_MPI_THREADS: std::invalid_argument.
///
/// Tracing: the constructor calls trace::set_rank(rank()), so every trace file the process
/// writes is NAME.rankR.EXT (BRIGADE_TRACE=run.json gives run.rank0.json, run.rank1.json, ...);
/// `brigade trace run.rank*.json` merges them, with each rank's time waiting for
/// communication.
///
/// Ending: the destructor finalizes MPI, which waits for the other ranks. Destroyed while an
/// exception unwinds the stack (a rank failed), it aborts the whole job instead (MPI_Abort),
/// after printing "rank R: aborting the job ..." on stderr, so that the other ranks do not
/// wait forever for this one.
class context {
 public:
  context(int& argc, char**& argv, const context_options& options = {});
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  int rank() const noexcept;
  int size() const noexcept;
  thread_mode mode() const noexcept;
  /// MPI's name for the thread level it gave ("MPI_THREAD_MULTIPLE", ...).
  const char* provided_level() const noexcept;

  /// Prints "rank R: message" on stderr and ends every rank of the job with `code` (MPI_Abort).
  [[noreturn]] void abort(std::string_view message, int code = 1) noexcept;

  /// The live context. std::logic_error when there is none.
  static context& current();

  struct impl;  // src/mpi

 private:
  std::unique_ptr<impl> impl_;
  int uncaught_at_start_;
};

/// Runs body(ctx) in a fresh context and returns its status. An exception escaping body prints
/// "rank R: error: what()" on stderr and aborts the whole job with status 1 (no other rank is
/// left waiting for this one). MPI failing to start: one line on stderr, returns 1.
int run(int& argc, char**& argv, const std::function<int(context&)>& body,
        const context_options& options = {});

}  // namespace brigade::mpi
