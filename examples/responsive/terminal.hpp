// The terminal for responsive: keys without Enter and without echo, restored on every exit.
#pragma once

namespace responsive {

/// While alive: stdin, if it is a terminal, delivers each key at once and unechoed (ICANON and
/// ECHO off; ISIG stays on, so Ctrl-C is SIGINT) and the cursor is hidden. The destructor
/// restores both, and so does a handler for SIGINT, SIGTERM and SIGHUP before the signal
/// takes its default action (tcsetattr and write are async-signal-safe), even when the loop
/// thread is stuck in --inline work. One at a time per process.
class terminal_mode {
 public:
  terminal_mode();
  ~terminal_mode();
  terminal_mode(const terminal_mode&) = delete;
  terminal_mode& operator=(const terminal_mode&) = delete;

  bool keys_are_raw() const noexcept { return raw_; }

 private:
  bool raw_ = false;
};

}  // namespace responsive
