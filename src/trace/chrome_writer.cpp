// Writes a recording as Chrome Trace Event JSON, with brigade's segments and edges inside.
//
// Segments become complete events ("ph":"X", "cat":"segment", args.segment = id), edges become
// flow events ("ph":"s" in the source's last nanosecond, "ph":"f" at the target's start with
// "bp":"e", args.from/to) that Perfetto and chrome://tracing draw as arrows, idle stretches become
// "idle" slices, waits for communication become async events ("ph":"b"/"e", "cat":"comm"), and
// counts of dropped events, the rank and the clocks at the start go into "otherData". Timestamps
// are microseconds with nanosecond decimals since the recording started.
#include "recorder.hpp"

#include <brigade/trace/trace.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <csignal>
#include <mutex>
#include <thread>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace brigade::detail::tracing {
namespace {

void put_string(std::ostream& out, const char* s) {
  out << '"';
  for (const char* p = s; *p != '\0'; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    switch (c) {
      case '"':
        out << "\\\"";
        break;
      case '\\':
        out << "\\\\";
        break;
      case '\n':
        out << "\\n";
        break;
      case '\t':
        out << "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out << buf;
        } else {
          out << *p;
        }
    }
  }
  out << '"';
}

// Microseconds with three decimals (nanosecond resolution), relative to the start.
void put_time(std::ostream& out, std::uint64_t ns, std::uint64_t origin) {
  const std::uint64_t rel = ns >= origin ? ns - origin : 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu.%03llu", static_cast<unsigned long long>(rel / 1000),
                static_cast<unsigned long long>(rel % 1000));
  out << buf;
}

struct open_slice {
  std::uint64_t begin = 0;
  const char* label = nullptr;
  std::uint64_t id = 0;
  std::uint64_t units = 0;  // a divisible loop piece: its independent iterations (0: not one)
};

class writer {
 public:
  writer(std::ostream& out, std::uint64_t origin, int pid)
      : out_(out), origin_(origin), pid_(pid) {}

  void slice(const char* cat, const char* name, std::uint32_t tid, std::uint64_t begin,
             std::uint64_t end, std::uint64_t segment, std::uint64_t units = 0) {
    sep();
    out_ << "{\"ph\":\"X\",\"cat\":\"" << cat << "\",\"name\":";
    put_string(out_, name);
    out_ << ",\"pid\":" << pid_ << ",\"tid\":" << tid << ",\"ts\":";
    put_time(out_, begin, origin_);
    out_ << ",\"dur\":";
    put_time(out_, end, begin);
    if (segment != 0) {
      out_ << ",\"args\":{\"segment\":" << segment;
      if (units > 1) out_ << ",\"units\":" << units;
      out_ << "}";
    }
    out_ << "}";
  }

  // `after`: a second argument, written when not 0.
  void instant(const char* name, std::uint32_t tid, std::uint64_t at, const char* arg_name,
               std::uint64_t arg, const char* after_name = nullptr, std::uint64_t after = 0) {
    sep();
    out_ << "{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"event\",\"name\":\"" << name
         << "\",\"pid\":" << pid_ << ",\"tid\":" << tid << ",\"ts\":";
    put_time(out_, at, origin_);
    out_ << ",\"args\":{\"" << arg_name << "\":" << arg;
    if (after_name != nullptr && after != 0) out_ << ",\"" << after_name << "\":" << after;
    out_ << "}}";
  }

  void flow(char phase, std::uint64_t edge_id, std::uint32_t tid, std::uint64_t at,
            std::uint64_t from, std::uint64_t to) {
    sep();
    out_ << "{\"ph\":\"" << phase << "\",\"cat\":\"edge\",\"name\":\"edge\",\"id\":" << edge_id;
    if (phase == 'f') out_ << ",\"bp\":\"e\"";
    out_ << ",\"pid\":" << pid_ << ",\"tid\":" << tid << ",\"ts\":";
    put_time(out_, at, origin_);
    out_ << ",\"args\":{\"from\":" << from << ",\"to\":" << to << "}}";
  }

  // One wait for communication (cat "comm") or for a lock by a coroutine (cat "lock"): an async
  // slice that begins on one thread and may end on another (Perfetto draws it on a track of the
  // process, keyed by cat and id).
  void async_wait(char phase, const char* cat, std::uint64_t id, std::uint32_t tid,
                  std::uint64_t at, const char* name) {
    sep();
    out_ << "{\"ph\":\"" << phase << "\",\"cat\":\"" << cat << "\",\"name\":";
    put_string(out_, name);
    out_ << ",\"id\":" << id << ",\"pid\":" << pid_ << ",\"tid\":" << tid << ",\"ts\":";
    put_time(out_, at, origin_);
    out_ << ",\"args\":{\"wait\":" << id << "}}";
  }

  // The process's name in Perfetto ("rank 3") and its place among the processes.
  void process_name(int rank) {
    sep();
    out_ << "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" << pid_
         << ",\"args\":{\"name\":\"rank " << rank << "\"}}";
    sep();
    out_ << "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" << pid_
         << ",\"args\":{\"sort_index\":" << rank << "}}";
  }

  void thread_name(std::uint32_t tid, const char* name) {
    sep();
    out_ << "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" << pid_ << ",\"tid\":" << tid
         << ",\"args\":{\"name\":";
    put_string(out_, name);
    out_ << "}}";
  }

  std::size_t count() const noexcept { return count_; }

 private:
  void sep() { out_ << (count_++ == 0 ? "\n" : ",\n"); }
  std::ostream& out_;
  std::uint64_t origin_;
  int pid_;
  std::size_t count_ = 0;
};

}  // namespace
}  // namespace brigade::detail::tracing

namespace brigade::trace {

namespace {

// One writer at a time: stop(), flush() and the signal's flush may meet.
std::mutex& writing() {
  static std::mutex* const mu = new std::mutex;  // never destroyed: used by atexit handlers
  return *mu;
}

// -1: no rank (set_rank was not called).
std::atomic<int> the_rank{-1};

// Writes every buffer's events as they are now (a segment still open is left out).
std::size_t write_trace(const std::string& given_path) {
  using namespace detail::tracing;
  std::lock_guard writer_lock(writing());
  const int rank = the_rank.load(std::memory_order_relaxed);
  const std::string path = ranked_path(given_path);
  const auto buffers = snapshot_buffers();
  const tick_scale scale = current_tick_scale();
  const std::uint64_t origin = recording_start_ns();
  std::uint64_t last = origin;

  std::ofstream file(path, std::ios::trunc);
  if (!file)
    throw std::system_error(errno, std::generic_category(), "brigade::trace: open " + path);
  file << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
  writer w(file, origin, static_cast<int>(::getpid()));
  if (rank >= 0) w.process_name(rank);

  // Where each segment begins and ends (for placing the edges' arrows).
  struct where {
    std::uint32_t tid = 0;
    std::uint64_t begin = 0, end = 0;
  };
  std::unordered_map<std::uint64_t, where> segments;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> edges;
  std::uint64_t dropped = 0;
  // Waits that may end on another thread (for communication, a coroutine's for a lock, and
  // waits for another strand's signal), by id: the begin's thread, time and label, and the end's.
  struct wait_record {
    std::uint32_t tid = 0, end_tid = 0;
    std::uint64_t begin = 0, end = 0;
    const char* label = nullptr;
    bool begun = false, ended = false;
    kind what = kind::comm_wait_begin;  // which begin: comm_, coro_lock_ or sync_wait_begin
  };
  std::map<std::uint64_t, wait_record> async_waits;

  // A fork that was not recorded (deeper than the fork-depth limit) whose branch a thief took
  // left a fork_edge: the branch starts after the part of the forking segment that ran before
  // it. That segment is written as pieces cut at those times, each after the one before; edges
  // into it go to its first piece, edges out of it leave its last, and each fork edge leaves
  // the piece that ends where the branch began. Cuts are known only once every buffer is read.
  std::vector<std::vector<event>> copies;
  copies.reserve(buffers.size());
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> cuts;  // segment -> times
  for (const auto& b : buffers) {
    copies.push_back(b->copy(scale));
    for (const event& e : copies.back())
      if (e.k == kind::fork_edge) cuts[e.a].push_back(e.time_ns);
  }
  struct split {
    std::vector<std::uint64_t> at;   // the cuts inside the segment, ascending
    std::vector<std::uint64_t> ids;  // its pieces (ids[0] is the segment's own id)
  };
  std::unordered_map<std::uint64_t, split> splits;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> piece_edges;
  struct fork_edge {
    std::uint64_t from, to, at;
  };
  std::vector<fork_edge> fork_edges;
  // Writes segment `seg` ending at `end` on thread tid: whole, or in pieces at its cuts.
  auto write_segment = [&](const open_slice& seg, std::uint64_t end, std::uint32_t tid) {
    const char* name = seg.label != nullptr ? seg.label : "task";
    std::vector<std::uint64_t> at;
    if (const auto c = cuts.find(seg.id); c != cuts.end()) {
      for (std::uint64_t t : c->second)
        if (t > seg.begin && t < end) at.push_back(t);
      std::sort(at.begin(), at.end());
      at.erase(std::unique(at.begin(), at.end()), at.end());
    }
    if (at.empty()) {
      w.slice("segment", name, tid, seg.begin, end, seg.id, seg.units);
      segments[seg.id] = {tid, seg.begin, end};
      return;
    }
    split& sp = splits[seg.id];
    sp.ids.push_back(seg.id);
    for (std::size_t i = 0; i < at.size(); ++i) sp.ids.push_back(new_segment_id());
    for (std::size_t i = 0; i < sp.ids.size(); ++i) {
      const std::uint64_t from = i == 0 ? seg.begin : at[i - 1];
      const std::uint64_t to = i == at.size() ? end : at[i];
      // A divisible loop piece keeps its share of the iterations (at least one).
      std::uint64_t units = 0;
      if (seg.units > 1)
        units = std::max<std::uint64_t>(
            1, static_cast<std::uint64_t>(static_cast<double>(seg.units) *
                                          static_cast<double>(to - from) /
                                          static_cast<double>(end - seg.begin)));
      w.slice("segment", name, tid, from, to, sp.ids[i], units);
      segments[sp.ids[i]] = {tid, from, to};
      if (i > 0) piece_edges.emplace_back(sp.ids[i - 1], sp.ids[i]);
    }
    sp.at = std::move(at);
  };

  for (std::size_t bi = 0; bi < buffers.size(); ++bi) {
    const auto& b = buffers[bi];
    const std::vector<event>& events = copies[bi];
    dropped += b->dropped();
    open_slice seg, idle, wait, lock;
    const char* named = nullptr;  // the thread's name last written (a loop run renames it)
    for (const event& e : events) {
      if (e.time_ns > last) last = e.time_ns;
      const std::uint32_t tid = b->index();
      switch (e.k) {
        case kind::thread_name: {
          const char* name = e.label != nullptr ? e.label : "thread";
          if (named == nullptr || std::strcmp(named, name) != 0) w.thread_name(tid, name);
          named = name;
          break;
        }
        case kind::segment_begin:
          seg = {e.time_ns, e.label, e.a};
          break;
        case kind::segment_end:
          if (seg.id == e.a) write_segment(seg, e.time_ns, tid);
          seg = {};
          break;
        case kind::segment_units:
          if (seg.id == e.a) seg.units = e.b;
          break;
        case kind::edge:
          edges.emplace_back(e.a, e.b);
          break;
        case kind::fork_edge:
          fork_edges.push_back({e.a, e.b, e.time_ns});
          break;
        case kind::park:
          idle = {e.time_ns, "parked", 0};
          break;
        case kind::unpark:
          if (idle.begin != 0) w.slice("idle", "parked", tid, idle.begin, e.time_ns, 0);
          idle = {};
          break;
        case kind::loop_wait_begin:
          wait = {e.time_ns, "waiting for I/O", 0};
          break;
        case kind::loop_wait_end:
          if (wait.begin != 0) w.slice("idle", "waiting for I/O", tid, wait.begin, e.time_ns, 0);
          wait = {};
          break;
        case kind::lock_wait_begin:
          lock = {e.time_ns, e.label, e.a};
          break;
        case kind::lock_wait_end:
          if (lock.begin != 0)
            w.slice("lock", lock.label != nullptr ? lock.label : "lock wait", tid, lock.begin,
                    e.time_ns, 0);
          lock = {};
          break;
        case kind::steal:
          w.instant("steal", tid, e.time_ns, "victim", e.a);
          break;
        case kind::timer_fire:
          w.instant("timer", tid, e.time_ns, "late_ns", e.b, "after", e.a);
          break;
        case kind::loop_lag:
          w.instant("loop lag", tid, e.time_ns, "ns", e.b);
          break;
        case kind::comm_wait_begin:
        case kind::coro_lock_wait_begin:
        case kind::sync_wait_begin: {
          wait_record& c = async_waits[e.a];
          c.tid = tid;
          c.begin = e.time_ns;
          c.label = e.label;
          c.begun = true;
          c.what = e.k;
          break;
        }
        case kind::segment_switch:
        case kind::segment_next:
          break;  // copy() expanded them
        case kind::comm_wait_end:
        case kind::coro_lock_wait_end:
        case kind::sync_wait_end: {
          wait_record& c = async_waits[e.a];
          c.end_tid = tid;
          c.end = e.time_ns;
          c.ended = true;
          break;
        }
      }
    }
  }
  // Edges out of a split segment leave its last piece; a fork edge leaves the piece that ended
  // where its branch began (the last one before, for a cut that fell outside the segment).
  for (auto& [from, to] : edges)
    if (const auto sp = splits.find(from); sp != splits.end()) from = sp->second.ids.back();
  for (const fork_edge& f : fork_edges) {
    std::uint64_t from = f.from;
    if (const auto sp = splits.find(f.from); sp != splits.end()) {
      const auto& at = sp->second.at;
      const auto cuts_before =
          static_cast<std::size_t>(std::upper_bound(at.begin(), at.end(), f.at) - at.begin());
      from = sp->second.ids[cuts_before == 0 ? 0 : cuts_before - 1];
      if (const auto s = segments.find(sp->second.ids.back());
          s != segments.end() && f.at >= s->second.end)
        from = sp->second.ids.back();
    }
    edges.emplace_back(from, f.to);
  }
  edges.insert(edges.end(), piece_edges.begin(), piece_edges.end());
  std::uint64_t edge_id = 1;
  for (auto [from, to] : edges) {
    const auto f = segments.find(from);
    const auto t = segments.find(to);
    if (f == segments.end() || t == segments.end()) continue;  // an end fell outside the recording
    // A flow start binds to the slice that encloses it on its thread. At the source's end it
    // would fall outside it (a slice covers [ts, ts + dur)) and bind to the thread's next slice
    // when one begins at that very nanosecond; in the last nanosecond it binds to the source.
    const where& src = f->second;
    w.flow('s', edge_id, src.tid, src.end > src.begin ? src.end - 1 : src.begin, from, to);
    w.flow('f', edge_id, t->second.tid, t->second.begin, from, to);
    ++edge_id;
  }
  // A wait still open (or whose begin fell outside a ring) is left out, as an open segment is.
  for (const auto& [id, c] : async_waits) {
    if (!c.begun || !c.ended || c.end < c.begin) continue;
    const bool lock = c.what == kind::coro_lock_wait_begin;
    const bool sync = c.what == kind::sync_wait_begin;
    const char* name = c.label != nullptr ? c.label
                       : lock             ? "lock wait"
                       : sync             ? "sync wait"
                                          : "communication";
    const char* cat = lock ? "lock" : sync ? "sync" : "comm";
    w.async_wait('b', cat, id, c.tid, c.begin, name);
    w.async_wait('e', cat, id, c.end_tid, c.end, name);
  }
  const std::size_t events = w.count();
  file << "\n],\"otherData\":{\"producer\":\"brigade\",\"version\":1,\"dropped_events\":" << dropped
       << ",\"threads\":" << buffers.size() << ",\"duration_ns\":" << (last - origin)
       << ",\"start_steady_ns\":" << origin
       << ",\"start_system_ns\":" << recording_start_system_ns();
  if (char host[256] = {}; ::gethostname(host, sizeof host - 1) == 0) {
    file << ",\"host\":";
    put_string(file, host);
  }
  if (rank >= 0) file << ",\"rank\":" << rank;
  file << "}}\n";
  file.close();
  if (!file)
    throw std::system_error(errno, std::generic_category(), "brigade::trace: write " + path);
  return events;
}

// flush_on_signal: the handler only writes the signal's number to a pipe (async-signal-safe);
// a thread of its own reads it and writes the trace.
int signal_pipe[2] = {-1, -1};
std::string& signal_path() {
  static std::string* const p = new std::string;  // never destroyed: the thread outlives main
  return *p;
}

extern "C" void on_flush_signal(int signo) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] const ssize_t n = ::write(signal_pipe[1], &byte, 1);
  errno = saved;
}

void flush_thread() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);  // signals go to the program's own threads
  for (;;) {
    unsigned char byte = 0;
    const ssize_t n = ::read(signal_pipe[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (!detail::tracing::on()) continue;
    try {
      const std::size_t events = write_trace(signal_path());
      std::fprintf(stderr, "brigade: signal %d: wrote %zu trace events to %s\n", byte, events,
                   ranked_path(signal_path()).c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "brigade: signal %d: could not write the trace: %s\n", byte, e.what());
    }
  }
}

}  // namespace

void set_rank(int rank) {
  if (rank < 0)
    throw std::invalid_argument("brigade::trace::set_rank: " + std::to_string(rank) +
                                " is not a rank (ranks are 0 or more)");
  the_rank.store(rank, std::memory_order_relaxed);
}

int rank() noexcept {
  return the_rank.load(std::memory_order_relaxed);
}

std::string ranked_path(const std::string& path) {
  return ranked_path(path, rank());
}

std::string ranked_path(const std::string& path, int r) {
  if (r < 0) return path;
  const std::string tag = ".rank" + std::to_string(r);
  // The extension is the last '.' of the file's own name, not of a folder's, and not a leading
  // one (".trace" has no extension).
  const std::size_t slash = path.rfind('/');
  const std::size_t name = slash == std::string::npos ? 0 : slash + 1;
  const std::size_t dot = path.rfind('.');
  if (dot == std::string::npos || dot <= name) return path + tag;
  return path.substr(0, dot) + tag + path.substr(dot);
}

std::size_t stop(const std::string& path) {
  using namespace detail::tracing;
  if (!on()) throw std::logic_error("brigade::trace::stop: tracing is not on");
  end_segment();  // close the caller's strand
  enabled_flag.store(false, std::memory_order_relaxed);
  return write_trace(path);
}

std::size_t flush(const std::string& path) {
  if (!detail::tracing::on()) throw std::logic_error("brigade::trace::flush: tracing is not on");
  return write_trace(path);
}

void flush_on_signal(int signo, const std::string& path) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  if (signo <= 0 || signo >= NSIG)
    throw std::invalid_argument("brigade::trace::flush_on_signal: " + std::to_string(signo) +
                                " is not a signal number");
  if (signal_pipe[0] < 0) {
    if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
      throw std::system_error(errno, std::generic_category(), "brigade::trace: pipe");
    // The reading end blocks (the thread waits on it); the writing end must never block a
    // signal handler.
    ::fcntl(signal_pipe[0], F_SETFL, 0);
    std::thread(flush_thread).detach();
  }
  signal_path() = path;
  struct sigaction sa {};
  sa.sa_handler = on_flush_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (::sigaction(signo, &sa, nullptr) != 0)
    throw std::system_error(errno, std::generic_category(),
                            "brigade::trace: sigaction " + std::to_string(signo));
}

}  // namespace brigade::trace
