// fib(n) by recursive fork-join with no cutoff: every call with n >= 2 forks, so the time is
// almost all spawn, steal and join overhead. One function per implementation.
#pragma once

#include "harness/suite.hpp"

namespace bench::fib {

/// The number of forks fib(n) performs: one per call with n >= 2, i.e. fib(n + 1) - 1.
long forks(int n);

long run_serial(int n);
long run_brigade(int n, int threads);  // brigade::join
long run_tbb(int n, int threads);      // tbb::parallel_invoke
long run_omp(int n, int threads);      // OpenMP tasks + taskwait

/// The fib workload: fib(32), or fib(24) with --quick.
group make(const config& c);

}  // namespace bench::fib
