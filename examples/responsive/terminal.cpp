// terminal_mode: termios and the signal handlers that undo it.
#include "terminal.hpp"

#include <termios.h>
#include <unistd.h>
#include <csignal>
#include <initializer_list>

namespace responsive {
namespace {

// Set once by the constructor before the handlers are installed, read by them afterwards.
termios saved;
volatile std::sig_atomic_t have_saved = 0;
volatile std::sig_atomic_t cursor_hidden = 0;
constexpr char show_cursor[] = "\x1b[?25h\n";
constexpr char hide_cursor[] = "\x1b[?25l";

void restore() noexcept {
  if (have_saved) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (cursor_hidden) {
    [[maybe_unused]] const auto n = ::write(STDOUT_FILENO, show_cursor, sizeof show_cursor - 1);
  }
}

extern "C" void on_fatal_signal(int sig) {
  restore();
  std::signal(sig, SIG_DFL);  // and die of it, so the parent sees the signal
  std::raise(sig);
}

}  // namespace

terminal_mode::terminal_mode() {
  if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
    have_saved = 1;
    termios raw = saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    raw_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  if (::isatty(STDOUT_FILENO)) {
    cursor_hidden = 1;
    [[maybe_unused]] const auto n = ::write(STDOUT_FILENO, hide_cursor, sizeof hide_cursor - 1);
  }
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

terminal_mode::~terminal_mode() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
  restore();
  have_saved = 0;
  cursor_hidden = 0;
}

}  // namespace responsive
