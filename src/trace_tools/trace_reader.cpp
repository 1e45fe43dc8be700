// Reads brigade's Chrome Trace Event JSON back into a trace_file: segments, edges, idle and lock
// slices, steals, timers and loop lags; checks that the file is a brigade trace at all. The JSON
// is read with nlohmann-json's SAX interface, one event at a time: no document tree is built, and
// integers (ids, nanoseconds) arrive as integers, never through a double.
#include "json_input.hpp"
#include "printable.hpp"

#include <brigade/trace_tools/trace_file.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace brigade::trace {
namespace {

constexpr int max_depth = 256;

using detail::describe_position;
using detail::members;
using detail::read_position;
using detail::restore_bytes;
using detail::scalar;
using detail::utf8_safe_iterator;

// Builds a trace_file while the events stream past.
class builder {
 public:
  builder(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  /// An element of traceEvents that is not an object.
  [[noreturn]] void not_an_event(std::size_t index, std::size_t at) {
    index_ = index;
    at_ = at;
    fail("is not an object");
  }

  /// One event: its scalar members, and those of its args object.
  void event(const members& e, const members& args, std::size_t index, std::size_t at) {
    index_ = index;
    at_ = at;
    args_ = &args;
    const scalar* ph = e.find("ph");
    if (ph == nullptr || ph->kind != scalar::type::string) fail("has no \"ph\" string");
    const std::string& phase = ph->text;
    const std::string cat = string_or(e, "cat", "");
    const std::string name = string_or(e, "name", "");
    if (phase == "M" && name == "thread_name") {
      const scalar* n = args.find("name");
      if (n == nullptr || n->kind != scalar::type::string) fail("thread_name without args.name");
      t_.lanes[lane_of(e)].name = n->text;
    } else if (phase == "X" && (cat == "segment" || cat == "idle" || cat == "lock")) {
      const std::uint32_t lane = lane_of(e);
      const std::int64_t begin = time_of(e, "ts");
      const std::int64_t dur = time_of(e, "dur");
      if (dur < 0) fail("has a negative \"dur\"");
      if (cat == "segment") {
        const std::uint64_t id = arg_id(e, "segment");
        trace_segment seg{id, lane, label(name.empty() ? "task" : name), begin, begin + dur};
        if (args_->find("units") != nullptr) {
          seg.units = arg_id(e, "units");
          if (seg.units == 0) fail("has args.units 0 (a piece runs at least one iteration)");
        }
        t_.segments.push_back(seg);
      } else {
        using k = trace_slice::kind;
        const k what = cat == "lock" ? k::lock_wait : name == "parked" ? k::parked : k::io_wait;
        t_.slices.push_back({what, lane, label(name), begin, begin + dur});
      }
      last_ = std::max(last_, begin + dur);
    } else if ((phase == "b" || phase == "e") &&
               (cat == "comm" || cat == "lock" || cat == "sync")) {
      // A wait for communication, a coroutine's for a lock, or one for another strand's
      // signal: begin and end may sit on different threads of the process.
      const std::int64_t pid = pid_of(e);
      const std::uint64_t id = arg_id(e, "wait");
      const std::int64_t at_ns = time_of(e, "ts");
      const bool lock = cat == "lock", sync = cat == "sync";
      comm_wait& c = (lock ? lock_ : sync ? sync_ : comm_)[{pid, id}];
      if (phase == "b") {
        c.lane = lane_of(e);
        c.label = label(name.empty() ? (lock   ? "lock wait"
                                        : sync ? "sync wait"
                                               : "communication")
                                     : name);
        c.begin = at_ns;
        c.begun = true;
      } else {
        lane_of(e);  // the thread exists, even when nothing else of it was recorded
        c.end = at_ns;
        c.ended = true;
      }
      last_ = std::max(last_, at_ns);
    } else if ((phase == "s" || phase == "f") && cat == "edge") {
      edge_pids_.push_back(pid_of(e));
      t_.edges.push_back({0, arg_id(e, "from"), arg_id(e, "to")});
    } else if (phase == "i" && (name == "steal" || name == "timer" || name == "loop lag")) {
      using k = trace_mark::kind;
      const std::uint32_t lane = lane_of(e);
      const std::int64_t at_ns = time_of(e, "ts");
      if (name == "steal") {
        const scalar* v = args.find("victim");
        std::uint64_t victim = 0;
        if (v != nullptr) v->to_uint64(victim);
        t_.marks.push_back({k::steal, lane, at_ns, victim});
      } else {
        const bool timer = name == "timer";
        std::uint64_t after = 0;  // optional: older traces do not have it
        if (const scalar* a = timer ? args.find("after") : nullptr)
          if (!a->to_uint64(after)) not_brigade("a timer's args.after is not a segment id");
        t_.marks.push_back({timer ? k::timer : k::loop_lag, lane, at_ns,
                            arg_id(e, timer ? "late_ns" : "ns"), after});
      }
      last_ = std::max(last_, at_ns);
    }
  }

  /// The top-level otherData object's scalar members (present false: none, or not an object).
  members& other_data() noexcept { return other_; }

  trace_file finish() {
    if (!other_.present) not_brigade("no \"otherData\" object (a Chrome trace from another tool?)");
    const scalar* producer = other_.find("producer");
    if (producer == nullptr || producer->kind != scalar::type::string)
      not_brigade("no otherData.producer (a Chrome trace from another tool?)");
    if (producer->text != "brigade")
      not_brigade("otherData.producer is \"" + detail::printable(producer->text) +
                  "\", not \"brigade\"");
    const scalar* version = other_.find("version");
    std::uint64_t v = 0;
    if (version == nullptr || !version->to_uint64(v) || v != 1)
      throw trace_error(std::string(source_) + ": unsupported brigade trace version " +
                        (version != nullptr && version->is_number() ? version->text : "(none)") +
                        " (this build reads version 1)");
    if (const scalar* d = other_.find("dropped_events"))
      if (!d->to_uint64(t_.dropped_events))
        not_brigade("otherData.dropped_events is not a non-negative integer");
    std::uint64_t duration = 0;
    if (const scalar* d = other_.find("duration_ns"))
      if (!d->to_uint64(duration) || duration > (1ULL << 62))
        not_brigade("otherData.duration_ns is not a non-negative integer");
    t_.duration_ns = std::max(static_cast<std::int64_t>(duration), last_);
    for (const auto& [waits, what, word] :
         {std::tuple{&comm_, trace_slice::kind::comm_wait, "comm"},
          std::tuple{&lock_, trace_slice::kind::lock_wait, "lock"},
          std::tuple{&sync_, trace_slice::kind::sync_wait, "sync"}}) {
      for (const auto& [key, c] : *waits) {
        if (!c.begun || !c.ended) continue;  // a half of a wait: not written by brigade, ignored
        if (c.end < c.begin)
          not_brigade(std::string(word) + " wait " + std::to_string(key.second) +
                      " ends before it begins");
        t_.slices.push_back({what, c.lane, c.label, c.begin, c.end});
      }
    }

    // Processes are numbered in pid order.
    std::map<std::int64_t, std::uint32_t> process_of;
    for (const trace_lane& l : t_.lanes) process_of.emplace(l.pid, 0);
    for (std::int64_t pid : edge_pids_) process_of.emplace(pid, 0);
    std::uint32_t n = 0;
    for (auto& [pid, index] : process_of) index = n++;
    t_.processes = n;
    for (trace_lane& l : t_.lanes) {
      l.process = process_of[l.pid];
      if (l.name.empty()) l.name = "thread " + std::to_string(l.tid);
    }
    for (std::size_t i = 0; i < t_.edges.size(); ++i)
      t_.edges[i].process = process_of[edge_pids_[i]];
    // What otherData says about the process (brigade writes one process per file).
    trace_process about;
    about.source = std::string(source_);
    if (const scalar* r = other_.find("rank")) {
      std::uint64_t rank = 0;
      if (!r->to_uint64(rank) || rank > INT32_MAX)
        not_brigade("otherData.rank is not a non-negative integer");
      about.rank = static_cast<int>(rank);
    }
    if (const scalar* h = other_.find("host"); h != nullptr && h->kind == scalar::type::string)
      about.host = h->text;
    for (auto [key, out] : {std::pair{"start_steady_ns", &about.start_steady_ns},
                            std::pair{"start_system_ns", &about.start_system_ns}})
      if (const scalar* c = other_.find(key))
        if (!c->to_uint64(*out))
          not_brigade(std::string("otherData.") + key + " is not a non-negative integer");
    if (process_of.empty()) process_of.emplace(0, 0);  // an empty recording is still a process
    t_.processes = static_cast<std::uint32_t>(process_of.size());
    for (const auto& [pid, index] : process_of) {
      trace_process p = about;
      p.pid = pid;
      if (process_of.size() > 1) p.rank = -1;  // a hand-merged file: whose rank is not known
      t_.process_info.push_back(std::move(p));
    }
    sort_and_dedupe(t_);
    return std::move(t_);
  }

  static void sort_and_dedupe(trace_file& t) {
    auto by_lane = [](const auto& a, const auto& b) {
      return std::tie(a.lane, a.begin_ns, a.end_ns) < std::tie(b.lane, b.begin_ns, b.end_ns);
    };
    std::stable_sort(t.segments.begin(), t.segments.end(), by_lane);
    std::stable_sort(t.slices.begin(), t.slices.end(), by_lane);
    std::stable_sort(t.marks.begin(), t.marks.end(), [](const trace_mark& a, const trace_mark& b) {
      return std::tie(a.lane, a.time_ns) < std::tie(b.lane, b.time_ns);
    });
    // Each edge is written twice (its arrow's start and end): keep one.
    auto key = [](const trace_edge& e) { return std::tie(e.process, e.from, e.to); };
    std::sort(t.edges.begin(), t.edges.end(),
              [&](const trace_edge& a, const trace_edge& b) { return key(a) < key(b); });
    t.edges.erase(
        std::unique(t.edges.begin(), t.edges.end(),
                    [&](const trace_edge& a, const trace_edge& b) { return key(a) == key(b); }),
        t.edges.end());
  }

  [[noreturn]] void not_brigade(const std::string& why) const {
    throw trace_error(std::string(source_) + ": not a brigade trace: " + why);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw trace_error(std::string(source_) + ": event " + std::to_string(index_) + " at " +
                      describe_position(text_, at_, false) + " " + what);
  }

  static std::string string_or(const members& e, std::string_view key, const char* fallback) {
    const scalar* v = e.find(key);
    return v != nullptr && v->kind == scalar::type::string ? v->text : fallback;
  }

  std::int64_t integer(const members& e, const char* key) const {
    const scalar* v = e.find(key);
    std::int64_t out = 0;
    if (v == nullptr || !v->to_int64(out)) fail(std::string("has no integer \"") + key + "\"");
    return out;
  }

  std::int64_t pid_of(const members& e) const { return integer(e, "pid"); }

  std::uint32_t lane_of(const members& e) {
    const std::int64_t pid = pid_of(e);
    const std::int64_t tid = integer(e, "tid");
    const auto [it, fresh] = lane_index_.try_emplace({pid, tid}, 0);
    if (fresh) {
      it->second = static_cast<std::uint32_t>(t_.lanes.size());
      t_.lanes.push_back({0, pid, tid, {}});
    }
    return it->second;
  }

  std::int64_t time_of(const members& e, const char* key) const {
    const scalar* v = e.find(key);
    std::int64_t ns = 0;
    if (v == nullptr || !v->is_number()) fail(std::string("has no number \"") + key + "\"");
    if (!v->micros_to_ns(ns)) fail(std::string("has \"") + key + "\" out of range");
    return ns;
  }

  std::uint64_t arg_id(const members&, const char* key) const {
    const scalar* v = args_->find(key);
    std::uint64_t id = 0;
    if (v == nullptr || !v->to_uint64(id))
      fail(std::string("has no non-negative integer args.") + key);
    return id;
  }

  std::uint32_t label(const std::string& name) {
    const auto [it, fresh] =
        label_index_.try_emplace(name, static_cast<std::uint32_t>(t_.labels.size()));
    if (fresh) t_.labels.push_back(name);
    return it->second;
  }

  std::string_view text_;
  std::string_view source_;
  trace_file t_;
  members other_;
  const members* args_ = nullptr;  // the current event's
  std::map<std::pair<std::int64_t, std::int64_t>, std::uint32_t> lane_index_;
  std::unordered_map<std::string, std::uint32_t> label_index_;
  std::vector<std::int64_t> edge_pids_;  // parallel to t_.edges until finish()
  struct comm_wait {
    std::uint32_t lane = 0, label = 0;
    std::int64_t begin = 0, end = 0;
    bool begun = false, ended = false;
  };
  std::map<std::pair<std::int64_t, std::uint64_t>, comm_wait> comm_;  // by pid and wait id
  std::map<std::pair<std::int64_t, std::uint64_t>, comm_wait> lock_;  // coroutines' lock waits
  std::map<std::pair<std::int64_t, std::uint64_t>, comm_wait> sync_;  // waits for a signal
  std::int64_t last_ = 0;
  std::size_t index_ = 0;
  std::size_t at_ = 0;
};

// The SAX handler: follows where in the document the parser is, collects each event's scalar
// members (and its args'), hands every complete event to the builder and forgets it.
class trace_handler {
 public:
  using number_integer_t = nlohmann::json::number_integer_t;
  using number_unsigned_t = nlohmann::json::number_unsigned_t;
  using number_float_t = nlohmann::json::number_float_t;
  using string_t = nlohmann::json::string_t;
  using binary_t = nlohmann::json::binary_t;

  trace_handler(std::string_view text, std::string_view source, builder& b, read_position& pos)
      : text_(text), source_(source), b_(b), pos_(pos) {}

  bool saw_events() const noexcept { return saw_events_; }

  bool null() { return value(scalar{}); }
  bool boolean(bool) { return value(scalar{}); }
  // Integers arrive as integers: exact as signed where they fit, as unsigned where not negative.
  bool number_integer(number_integer_t v) {
    return integer(std::to_string(v), true, v, v >= 0, static_cast<std::uint64_t>(v));
  }
  bool number_unsigned(number_unsigned_t v) {
    return integer(std::to_string(v), v <= static_cast<std::uint64_t>(INT64_MAX),
                   static_cast<std::int64_t>(v), true, v);
  }
  bool number_float(number_float_t v, const string_t& literal) {
    scalar s;
    s.kind = scalar::type::number;
    s.text = literal;
    s.number = v;
    return value(std::move(s));
  }
  bool string(string_t& v) {
    scalar s;
    s.kind = scalar::type::string;
    s.text = std::move(v);
    if (pos_.extra > 0) restore_bytes(s.text);
    return value(std::move(s));
  }
  bool binary(binary_t&) { return value(scalar{}); }
  bool key(string_t& k) {
    key_ = std::move(k);
    return true;
  }

  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    if (depth_ == 0 && finished_)
      fail_at(offset_of_last(), "unexpected text after the JSON document");
    // nlohmann-json says "[json.exception.parse_error.101] parse error at line 1, column 2: what":
    // keep the what, with the position counted here (in the text's bytes, with context).
    std::string what = e.what();
    const std::size_t column = what.find("column ");
    const std::size_t colon = column == std::string::npos ? column : what.find(": ", column);
    if (colon != std::string::npos) what.erase(0, colon + 2);
    const std::size_t read = position > pos_.extra ? position - pos_.extra : 1;
    fail_at(read - 1, detail::printable(what));
  }

 private:
  // Where a container or value sits; the depth counts the containers open around it.
  bool in_events() const noexcept { return depth_ == 2 && events_open_; }
  bool in_event() const noexcept { return depth_ == 3 && event_open_; }
  bool in_args() const noexcept { return depth_ == 4 && args_open_; }
  bool in_other() const noexcept { return depth_ == 2 && other_open_; }

  bool integer(std::string literal, bool fits_signed, std::int64_t signed_value, bool fits_unsigned,
               std::uint64_t unsigned_value) {
    scalar s;
    s.kind = scalar::type::integer;
    s.text = std::move(literal);
    s.fits_signed = fits_signed;
    s.signed_value = signed_value;
    s.fits_unsigned = fits_unsigned;
    s.unsigned_value = unsigned_value;
    return value(std::move(s));
  }

  bool value(scalar s) {
    if (depth_ == 0) b_.not_brigade("the top level is not an object");
    if (depth_ == 1) {
      if (key_ == "traceEvents") b_.not_brigade("\"traceEvents\" is not an array");
      if (key_ == "otherData") b_.other_data().clear();  // not an object
    } else if (in_events()) {
      b_.not_an_event(index_, offset_of_last());
    } else if (in_event()) {
      if (key_ == "args") args_.clear();  // not an object
      event_.items.emplace_back(std::move(key_), std::move(s));
    } else if (in_args()) {
      args_.items.emplace_back(std::move(key_), std::move(s));
    } else if (in_other()) {
      b_.other_data().items.emplace_back(std::move(key_), std::move(s));
    }
    return true;
  }

  bool open(bool object) {
    const std::size_t at = offset_of_last();  // the '{' or '['
    if (depth_ == 0 && !object)
      b_.not_brigade("the top level is an array; brigade writes an object");
    if (depth_ == 1 && key_ == "traceEvents") {
      if (!object) {
        events_open_ = saw_events_ = true;
      } else {
        b_.not_brigade("\"traceEvents\" is not an array");
      }
    } else if (depth_ == 1 && key_ == "otherData") {
      b_.other_data().clear();
      other_open_ = object;
      b_.other_data().present = object;
    } else if (in_events()) {
      // An array where an event belongs: reported once it has been read, so that a syntax
      // error or too deep a nesting inside it is what the message names.
      if (!object) not_event_at_ = at;
      event_.clear();
      args_.clear();
      event_open_ = true;
      event_at_ = at;
    } else if (in_event()) {
      if (key_ == "args") {
        args_.clear();
        args_open_ = object;
        args_.present = object;
      } else {
        event_.items.emplace_back(std::move(key_), scalar{});  // a container: neither kind
      }
    } else if (in_args()) {
      args_.items.emplace_back(std::move(key_), scalar{});
    }
    if (++depth_ > max_depth)
      throw trace_error(std::string(source_) + ": not a brigade trace: nested deeper than " +
                        std::to_string(max_depth) + " levels at " +
                        describe_position(text_, at, false));
    return true;
  }

  bool close() {
    --depth_;
    if (depth_ == 0) {
      finished_ = true;
    } else if (depth_ == 1) {
      events_open_ = other_open_ = false;
    } else if (depth_ == 2 && event_open_) {
      event_open_ = false;
      if (not_event_at_ != npos) b_.not_an_event(index_, not_event_at_);
      b_.event(event_, args_, index_++, event_at_);  // one event at a time: memory stays small
    } else if (depth_ == 3) {
      args_open_ = false;
    }
    return true;
  }

  std::size_t offset_of_last() const noexcept {
    return pos_.last == nullptr ? 0 : static_cast<std::size_t>(pos_.last - text_.data());
  }

  [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
    throw trace_error(std::string(source_) + ": invalid JSON at " +
                      describe_position(text_, at, true) + ": " + what);
  }

  std::string_view text_;
  std::string_view source_;
  builder& b_;
  read_position& pos_;
  std::string key_;
  members event_;
  members args_;
  std::size_t index_ = 0;
  std::size_t event_at_ = 0;
  static constexpr std::size_t npos = std::string_view::npos;
  std::size_t not_event_at_ = npos;  // an array element of traceEvents opened here
  int depth_ = 0;
  bool events_open_ = false;
  bool event_open_ = false;
  bool args_open_ = false;
  bool other_open_ = false;
  bool saw_events_ = false;
  bool finished_ = false;
};

}  // namespace

trace_file parse_trace_file(std::string_view json, std::string_view source) {
  builder b(json, source);
  if (json.find_first_not_of(" \t\n\r") == std::string_view::npos)
    b.not_brigade("the input is empty");
  read_position pos;
  trace_handler handler(json, source, b, pos);
  nlohmann::json::sax_parse(utf8_safe_iterator(json, 0, &pos),
                            utf8_safe_iterator(json, json.size(), &pos), &handler);
  if (!handler.saw_events()) b.not_brigade("no \"traceEvents\" array");
  return b.finish();
}

namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// "1073741824 bytes (1 GiB)": the exact limit, and a readable one when it is a round size.
std::string describe_limit(std::uint64_t max_bytes) {
  std::string text = std::to_string(max_bytes) + " bytes";
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  int unit = -1;
  std::uint64_t v = max_bytes;
  while (v >= 1024 && v % 1024 == 0 && unit < 3) {
    v /= 1024;
    ++unit;
  }
  if (unit >= 0) text += " (" + std::to_string(v) + " " + units[unit] + ")";
  return text;
}

[[noreturn]] void too_large(const std::string& path, std::uint64_t max_bytes) {
  throw std::length_error(path + ": larger than the limit of " + describe_limit(max_bytes));
}

// The whole content of path, bounded (see read_trace_file).
std::string read_bounded(const std::string& path, std::uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::system_error(errno, std::generic_category(), path);
  // A device can be endless (/dev/zero, /dev/urandom) or wait for a person (a terminal);
  // a pipe is what `brigade trace /dev/stdin < run.json` and `<(zcat run.json.gz)` give.
  if (S_ISDIR(st.st_mode)) throw std::system_error(EISDIR, std::generic_category(), path);
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    throw std::invalid_argument(path + ": " + kind_of(st.st_mode) +
                                ", not a trace file (give a regular file or a pipe)");
  // A regular file's size is known: refuse a huge one before reading any of it.
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_bytes)
    too_large(path, max_bytes);

  std::string text;
  if (S_ISREG(st.st_mode)) text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    // One byte past the limit tells "exactly max_bytes" from "more" (a file may grow, a pipe
    // has no size).
    const std::uint64_t room = std::min<std::uint64_t>(max_bytes - text.size(), sizeof buf - 1) + 1;
    const ssize_t n = ::read(fd, buf, static_cast<std::size_t>(room));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), path);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) too_large(path, max_bytes);
  }
  return text;
}

}  // namespace

trace_file read_trace_file(const std::string& path, std::uint64_t max_bytes) {
  return parse_trace_file(read_bounded(path, max_bytes), path);
}

std::string lane_title(const trace_file& t, std::uint32_t lane) {
  if (lane >= t.lanes.size()) return "?";
  const trace_lane& l = t.lanes[lane];
  if (t.processes <= 1) return l.name;
  if (l.process < t.process_info.size() && t.process_info[l.process].rank >= 0)
    return "rank " + std::to_string(t.process_info[l.process].rank) + " " + l.name;
  return "pid " + std::to_string(l.pid) + " " + l.name;
}

namespace {

// Which clock lines the parts up (see merge_trace_files).
clock_alignment alignment_of(const std::vector<trace_file>& parts) {
  bool steady = true, system = true;
  const std::string* host = nullptr;
  for (const trace_file& p : parts) {
    // A part of several processes (an older merge) has no one start to line up.
    if (p.process_info.size() != 1) return clock_alignment::starts;
    const trace_process& q = p.process_info.front();
    if (host == nullptr) host = &q.host;
    steady = steady && q.start_steady_ns != 0 && !q.host.empty() && q.host == *host;
    system = system && q.start_system_ns != 0;
  }
  return steady   ? clock_alignment::steady
         : system ? clock_alignment::system
                  : clock_alignment::starts;
}

}  // namespace

trace_file merge_trace_files(std::vector<trace_file> parts) {
  if (parts.size() == 1) return std::move(parts.front());
  trace_file out;
  out.alignment = alignment_of(parts);
  // Each part's time 0 on the merged timeline: its start's distance from the earliest start.
  std::vector<std::int64_t> offsets(parts.size(), 0);
  if (out.alignment != clock_alignment::starts && !parts.empty()) {
    auto start = [&](const trace_file& p) {
      const trace_process& q = p.process_info.front();
      return out.alignment == clock_alignment::steady ? q.start_steady_ns : q.start_system_ns;
    };
    std::uint64_t earliest = UINT64_MAX;
    for (const trace_file& p : parts) earliest = std::min(earliest, start(p));
    for (std::size_t i = 0; i < parts.size(); ++i)
      offsets[i] = static_cast<std::int64_t>(
          std::min<std::uint64_t>(start(parts[i]) - earliest, std::uint64_t{1} << 62));
  }
  std::unordered_map<std::string, std::uint32_t> label_index;
  for (std::size_t part = 0; part < parts.size(); ++part) {
    trace_file& p = parts[part];
    const std::int64_t offset = offsets[part];
    const auto lane_base = static_cast<std::uint32_t>(out.lanes.size());
    const std::uint32_t process_base = out.processes;
    std::vector<std::uint32_t> labels(p.labels.size());
    for (std::size_t i = 0; i < p.labels.size(); ++i) {
      const auto [it, fresh] =
          label_index.try_emplace(p.labels[i], static_cast<std::uint32_t>(out.labels.size()));
      if (fresh) out.labels.push_back(p.labels[i]);
      labels[i] = it->second;
    }
    for (trace_lane& l : p.lanes) {
      l.process += process_base;
      out.lanes.push_back(std::move(l));
    }
    for (trace_process q : p.process_info) {
      q.offset_ns = offset;
      out.process_info.push_back(std::move(q));
    }
    for (trace_segment s : p.segments) {
      s.begin_ns += offset;
      s.end_ns += offset;
      s.lane += lane_base;
      s.label = labels[s.label];
      out.segments.push_back(s);
    }
    for (trace_slice s : p.slices) {
      s.begin_ns += offset;
      s.end_ns += offset;
      s.lane += lane_base;
      s.label = labels[s.label];
      out.slices.push_back(s);
    }
    for (trace_mark m : p.marks) {
      m.time_ns += offset;
      m.lane += lane_base;
      out.marks.push_back(m);
    }
    for (trace_edge e : p.edges) {
      e.process += process_base;
      out.edges.push_back(e);
    }
    out.processes += p.processes;
    out.dropped_events += p.dropped_events;
    out.duration_ns = std::max(out.duration_ns, offset + p.duration_ns);
  }
  builder::sort_and_dedupe(out);
  return out;
}

}  // namespace brigade::trace
