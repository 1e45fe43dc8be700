// Running the built `brigade` binary as a child for the command-line tests (its exit status,
// stdout and stderr, with a chosen stdin and stdout), and small traces to give it.
#pragma once

#include <brigade/io/event_loop.hpp>
#include <brigade/io/process.hpp>

#include "support/wait_or_kill.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace brigade_cli_test {

namespace fs = std::filesystem;

struct outcome {
  int status = -1;  // the exit status, or -1 when it did not exit normally
  std::string out, err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh directory for one test.
inline fs::path scratch() {
  std::string pattern = (fs::path(testing::TempDir()) / "brigade-cli-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

struct run_options {
  int stdin_fd = -1;           // >= 0: the child's stdin (else ours)
  std::string stdout_path;     // non-empty: the child's stdout goes there; outcome::out is empty
  bool ignore_sigint = false;  // start it with SIGINT ignored, as a shell starts a background job
};

inline run_options stdin_from(int fd) {
  run_options o;
  o.stdin_fd = fd;
  return o;
}

inline run_options stdout_to(const std::string& path) {
  run_options o;
  o.stdout_path = path;
  return o;
}

inline run_options sigint_ignored() {
  run_options o;
  o.ignore_sigint = true;
  return o;
}

// A running child and the loop it was started on (never run: the waits here block).
struct child {
  brigade::event_loop loop{brigade::event_loop::options{brigade::io_backend::epoll}};
  brigade::process process;
};

// A started brigade; its stdout and stderr go to files (or stdout to options.stdout_path).
struct started {
  pid_t pid = -1;
  fs::path out, err;
  std::shared_ptr<child> running;  // null when it could not be started
};

inline started start_brigade(const std::vector<std::string>& args, const run_options& o = {}) {
  using stdio = brigade::process::stdio;
  const fs::path dir = scratch();
  started s{-1, dir / "stdout", dir / "stderr", nullptr};
  const std::string out = o.stdout_path.empty() ? s.out.string() : o.stdout_path;
  const std::string err = s.err.string();
  std::vector<std::string> strings{BRIGADE_CLI};
  if (o.ignore_sigint)  // exec keeps an ignored signal ignored, and the pid
    strings = {"/bin/sh", "-c", "trap '' INT; exec \"$0\" \"$@\"", BRIGADE_CLI};
  strings.insert(strings.end(), args.begin(), args.end());
  // The child gets copies; ours close here.
  const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  EXPECT_GE(out_fd, 0) << out;
  EXPECT_GE(err_fd, 0) << err;
  try {
    auto c = std::make_shared<child>();
    // Whatever this test runner was started with (a background job ignores SIGINT), brigade
    // starts with SIGINT and SIGTERM acting and unblocked.
    c->process =
        brigade::process(c->loop, strings,
                         {.in = o.stdin_fd >= 0 ? stdio::from_fd(o.stdin_fd) : stdio::inherit,
                          .out = stdio::from_fd(out_fd),
                          .err = stdio::from_fd(err_fd),
                          .default_signals = {SIGINT, SIGTERM}});
    s.pid = c->process.pid();
    s.running = std::move(c);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  close(out_fd);
  close(err_fd);
  return s;
}

// Polls `done` until it holds or `limit` passes; whether it held. The pause between polls only
// spaces them out: nothing is ordered by it.
template <class F>
bool eventually(F&& done, std::chrono::seconds limit = std::chrono::seconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Waits at most `limit` for a started brigade to end: its exit code, or -1 when it did not exit
// normally or did not end (then it is killed, so that no test leaves one behind).
inline int reap(brigade::process& p, std::chrono::seconds limit = std::chrono::seconds(100)) {
  const std::optional<brigade::exit_status> s = brigade::testing::wait_or_kill(p, limit);
  return s && s->exited() ? s->code : -1;
}

inline outcome finish(const started& s) {
  outcome o;
  if (!s.running) return o;
  o.status = reap(s.running->process);
  o.out = slurp(s.out);
  o.err = slurp(s.err);
  return o;
}

inline outcome run_brigade(const std::vector<std::string>& args, const run_options& o = {}) {
  return finish(start_brigade(args, o));
}

// A small brigade trace: one thread named `thread_name` running one segment labelled `label`.
inline std::string small_trace(const std::string& thread_name, const std::string& label = "chop",
                               const std::string& producer = "brigade") {
  const nlohmann::json t = {{"traceEvents",
                             {{{"ph", "M"},
                               {"name", "thread_name"},
                               {"pid", 1},
                               {"tid", 0},
                               {"args", {{"name", thread_name}}}},
                              {{"ph", "X"},
                               {"cat", "segment"},
                               {"name", label},
                               {"pid", 1},
                               {"tid", 0},
                               {"ts", 0},
                               {"dur", 10},
                               {"args", {{"segment", 1}}}}}},
                            {"otherData", {{"producer", producer}, {"version", 1}}}};
  return t.dump();
}

inline fs::path write_file(const std::string& text) {
  const fs::path p = scratch() / "trace.json";
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// A failure must be exactly one line on stderr that names the bad value.
inline void expect_one_line_error(const outcome& o, const std::string& names) {
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.status, -1) << "crashed: " << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_NE(o.err.find(names), std::string::npos) << o.err;
}

// The same for a command that shows progress on stderr first: one error line, the last one.
inline void expect_error_after_progress(const outcome& o, const std::string& names) {
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.status, -1) << "crashed: " << o.err;
  const std::size_t last = o.err.rfind('\n', o.err.size() >= 2 ? o.err.size() - 2 : 0);
  const std::string last_line = o.err.substr(last == std::string::npos ? 0 : last + 1);
  EXPECT_EQ(last_line.rfind("brigade: error: ", 0), 0U) << o.err;
  EXPECT_NE(last_line.find(names), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("brigade: error: "), o.err.rfind("brigade: error: ")) << o.err;
}

}  // namespace brigade_cli_test
