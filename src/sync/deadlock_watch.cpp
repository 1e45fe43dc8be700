// "All chefs are asleep": a watchdog that aborts a process whose every thread waits forever,
// with at least one of them in a brigade wait. See README.md next to this file.
#include <brigade/sync/detail/deadlock_watch.hpp>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace brigade::detail::deadlock_watch {

namespace {

struct settings {
  bool on = true;
  std::chrono::milliseconds grace{1000};
};

// Reads the settings, or says which one is wrong and exits: before main() (see env_checked
// below) nobody could catch an exception, and a setting silently ignored would leave the user
// with a check they did not ask for, or without one they did.
settings read_settings() {
  settings r;
  if (const char* v = std::getenv("BRIGADE_DEADLOCK_DETECT"); v != nullptr && *v != '\0') {
    if (std::strcmp(v, "0") == 0) {
      r.on = false;
    } else if (std::strcmp(v, "1") != 0) {
      std::fprintf(stderr,
                   "brigade: BRIGADE_DEADLOCK_DETECT=\"%s\" is invalid: expected 0 (off) or 1 "
                   "(on, the default)\n",
                   v);
      std::exit(2);
    }
  }
  if (const char* v = std::getenv("BRIGADE_DEADLOCK_GRACE_MS"); v != nullptr) {
    char* end = nullptr;
    errno = 0;
    const long ms = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || ms <= 0 || errno == ERANGE || ms > 86'400'000) {
      std::fprintf(stderr,
                   "brigade: BRIGADE_DEADLOCK_GRACE_MS=\"%s\" is invalid: expected a number "
                   "of milliseconds, 1 to 86400000\n",
                   v);
      std::exit(2);
    }
    r.grace = std::chrono::milliseconds(ms);
  }
  return r;
}

const settings& config() {
  static const settings s = read_settings();
  return s;
}

// A bad setting stops the program at start, not at its first wait.
struct env_check {
  env_check() noexcept { (void)config(); }
};
const env_check env_checked;

// The registry of threads in an untimed brigade wait. Everything here is guarded by
// registry_mutex(). Never destroyed: the detached watchdog may still wait on registry_cv() while
// the process exits (and destroying a condition variable with a waiter blocks). Function statics,
// so that a wait during another file's static initialization finds them.
std::mutex& registry_mutex() {
  static std::mutex* const mu = new std::mutex;
  return *mu;
}
std::condition_variable& registry_cv() {  // the watchdog's wake-up
  static std::condition_variable* const cv = new std::condition_variable;
  return *cv;
}
blocked_scope* head = nullptr;
int blocked = 0;
bool watchdog_started = false;  // also in a fork()ed child, which has no watchdog: no detection

// One thread's state in a sample: whether it sleeps in an untimed futex wait (only another
// thread of this process can end that, barring signals and futexes shared with other
// processes), and how many times it was switched out (unchanged = it did not run).
struct thread_state {
  bool stuck = false;
  unsigned long long switches = 0;
};

bool read_file(const std::string& path, std::string& out) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return false;
  out.clear();
  char buf[1024];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  std::fclose(f);
  return true;
}

thread_state read_thread(int tid) {
  thread_state s;
  const std::string dir = "/proc/self/task/" + std::to_string(tid) + "/";
  std::string text;
  // "202 0xADDR 0xOP 0xVAL 0xTIMEOUT ..." while in futex(); "running" or "-1 ..." otherwise.
  if (!read_file(dir + "syscall", text)) return s;
  unsigned long long nr = 0, addr = 0, op = 0, val = 0, timeout = 1;
  if (std::sscanf(text.c_str(), "%llu 0x%llx 0x%llx 0x%llx 0x%llx", &nr, &addr, &op, &val,
                  &timeout) != 5)
    return s;
  constexpr unsigned long long sys_futex = 202, futex_wait = 0, futex_wait_bitset = 9;
  const unsigned long long cmd = op & 0x7f;  // without FUTEX_PRIVATE_FLAG / CLOCK_REALTIME
#if defined(__x86_64__)
  s.stuck = nr == sys_futex && (cmd == futex_wait || cmd == futex_wait_bitset) && timeout == 0;
#else
  (void)cmd;  // syscall numbers are per architecture: only x86-64 is recognised
#endif
  if (!s.stuck || !read_file(dir + "status", text)) {
    s.stuck = false;
    return s;
  }
  for (const char* key : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"}) {
    const char* at = std::strstr(text.c_str(), key);
    if (at == nullptr) {
      s.stuck = false;
      return s;
    }
    s.switches += std::strtoull(at + std::strlen(key), nullptr, 10);
  }
  return s;
}

// Every thread but the watchdog, or an empty map if any of them is not stuck (or /proc cannot
// tell): then nothing can be concluded.
std::map<int, thread_state> sample(int self) {
  std::map<int, thread_state> out;
  DIR* d = ::opendir("/proc/self/task");
  if (d == nullptr) return out;
  bool all = true;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const int tid = std::atoi(e->d_name);
    if (tid == self) continue;
    const thread_state s = read_thread(tid);
    if (!s.stuck) {
      all = false;
      break;
    }
    out[tid] = s;
  }
  ::closedir(d);
  if (!all) out.clear();
  return out;
}

[[noreturn]] void report_and_abort(const std::map<int, thread_state>& threads) {
  std::string text = "brigade: all chefs are asleep \xe2\x80\x94 deadlock\n";
  for (const auto& [tid, st] : threads) {
    const blocked_scope* b = head;
    while (b != nullptr && b->tid != tid) b = b->next;
    char line[256];
    if (b != nullptr) {
      std::snprintf(line, sizeof line, "  thread %d waits in %s%s%s%s (%p)\n", tid, b->what,
                    b->name != nullptr ? " \"" : "", b->name != nullptr ? b->name : "",
                    b->name != nullptr ? "\"" : "", b->object);
    } else {
      std::snprintf(line, sizeof line,
                    "  thread %d sleeps outside brigade (an untimed futex wait: a std::mutex, "
                    "a condition variable, a join)\n",
                    tid);
    }
    text += line;
  }
  text +=
      "  (no thread can run: every one waits for another. Set BRIGADE_DEADLOCK_DETECT=0 to "
      "turn this check off.)\n";
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

void watchdog() {
  pthread_setname_np(pthread_self(), "brigade watch");
  const int self = static_cast<int>(::gettid());
  const auto grace = config().grace;
  for (;;) {
    {
      std::unique_lock lock(registry_mutex());
      registry_cv().wait(lock, [] { return blocked > 0; });
    }
    const std::map<int, thread_state> first = sample(self);
    std::this_thread::sleep_for(grace);
    if (first.empty()) continue;  // something could run: look again after the grace period
    const std::map<int, thread_state> second = sample(self);
    bool same = second.size() == first.size();
    for (auto a = first.begin(), b = second.begin(); same && a != first.end(); ++a, ++b)
      same = a->first == b->first && a->second.switches == b->second.switches;
    if (!same) continue;
    // Not one thread ran for the whole grace period, each sleeps untimed on a futex: only one
    // of them could wake another. Confirm a brigade wait is among them, then report.
    std::unique_lock lock(registry_mutex());
    if (blocked > 0) report_and_abort(second);
  }
}

}  // namespace

blocked_scope::blocked_scope(const char* w, const char* n, const void* o) noexcept
    : what(w), name(n), object(o) {
  if (!config().on) return;
  tid = static_cast<int>(::gettid());
  std::lock_guard lock(registry_mutex());
  next = head;
  if (head != nullptr) head->prev = this;
  head = this;
  linked = true;
  if (++blocked == 1) registry_cv().notify_one();
  if (!watchdog_started) {
    watchdog_started = true;
    // The watchdog starts with asynchronous signals blocked (a thread inherits its creator's
    // mask), so that SIGINT or SIGTERM meant for a signal_set, or for the program's own
    // handling, never lands on it and takes its default action there.
    sigset_t all, old;
    sigfillset(&all);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&all, s);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    try {
      std::thread(watchdog).detach();
    } catch (...) {  // no thread, no detection: the wait itself goes on
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
}

blocked_scope::~blocked_scope() {
  if (!linked) return;
  std::lock_guard lock(registry_mutex());
  (prev != nullptr ? prev->next : head) = next;
  if (next != nullptr) next->prev = prev;
  --blocked;
}

}  // namespace brigade::detail::deadlock_watch
