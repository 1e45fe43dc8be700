# Every build option of brigade, in one place.

# Part of the build when brigade is the top-level project; off when it is a subproject.
option(BRIGADE_BUILD_TESTS "Build the GoogleTest suites and register them with CTest"
       ${PROJECT_IS_TOP_LEVEL})
option(BRIGADE_BUILD_EXAMPLES "Build the example programs under examples/" ${PROJECT_IS_TOP_LEVEL})
# The `brigade` command line (tools/brigade: kitchen, trace, scale, bench; needs CLI11 and
# nlohmann-json).
option(BRIGADE_BUILD_TOOLS "Build the brigade command line under tools/brigade" ${PROJECT_IS_TOP_LEVEL})
option(BRIGADE_BUILD_BENCH "Build the benchmarks under bench/ (needs oneTBB and OpenMP)" OFF)
# Install rules (library, headers, CMake package, brigade.pc, license, the brigade command). Off by
# default in a subproject (add_subdirectory, FetchContent): installing the parent project then
# installs only what the parent asks for.
option(BRIGADE_INSTALL "Generate brigade's install rules" ${PROJECT_IS_TOP_LEVEL})

# libFuzzer targets under fuzz/ (needs clang: -fsanitize=fuzzer); the `fuzz` preset turns it on
# with AddressSanitizer + UndefinedBehaviorSanitizer.
option(BRIGADE_FUZZ "Build the libFuzzer targets under fuzz/ (clang only)" OFF)

# Sanitizers for brigade's own targets (never exported): "" (none), "address;undefined", "thread".
set(BRIGADE_SANITIZE "" CACHE STRING "Sanitizers for brigade's own targets: address;undefined or thread")

# Turns warnings into errors; on in the presets CI runs (debug, asan, tsan), off in release and
# bench, which users build (a warning a newer compiler adds must not stop them).
option(BRIGADE_WERROR "Treat compiler warnings as errors" OFF)

# Tracing hooks compiled in (a relaxed load and a branch each while tracing is off). OFF compiles
# them out for brigade and its users (BRIGADE_NO_TRACING), and brigade::trace::start() throws.
option(BRIGADE_ENABLE_TRACING "Compile brigade's trace hooks in" ON)

# Checked mode's hooks in brigade's locks (a relaxed load and a branch per lock operation while
# checks are off). OFF compiles them out (BRIGADE_NO_LOCK_CHECKS) and BRIGADE_CHECK is ignored.
option(BRIGADE_ENABLE_LOCK_CHECKS "Compile the deadlock checks of brigade's locks in" ON)

# Schedule fuzzing: every operation of the atomics seam (core/detail/atomic.hpp) first yields or
# sleeps a few microseconds at random, from a seed printed at first use (BRIGADE_SCHEDULE_SEED
# replays it). For the stress suite (presets schedfuzz, schedfuzz-tsan); OFF costs nothing.
option(BRIGADE_SCHEDULE_FUZZ "Insert seeded random yields and sleeps at the atomics seam (tests)" OFF)

# The io_uring backend (needs liburing at build time; epoll is used where it is missing).
option(BRIGADE_ENABLE_IO_URING "Build the io_uring event-loop backend when liburing is found" ON)

# The brigade::mpi component (needs an MPI implementation, e.g. Debian's libopenmpi-dev; skipped
# with a note when none is found).
option(BRIGADE_ENABLE_MPI "Build the brigade::mpi component when MPI is found" ON)

# The brigade::dns component: resolve() and connect("host:port") on c-ares (needs Debian's
# libc-ares-dev; skipped with a note when it is not found).
option(BRIGADE_ENABLE_DNS "Build the brigade::dns component when c-ares is found" ON)
# The brigade::tls component (tls_stream over tcp_stream; needs OpenSSL, Debian's libssl-dev;
# skipped with a note when it is not found).
option(BRIGADE_ENABLE_TLS "Build the brigade::tls component when OpenSSL is found" ON)
