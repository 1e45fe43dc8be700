// Reads brigade's Chrome Trace Event JSON back into a trace_file: segments, edges, idle and lock
// slices, steals, timers and loop lags; checks that the file is a brigade trace at all.
#include "json_reader.hpp"
#include "printable.hpp"

#include <brigade/trace_tools/trace_file.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace brigade::trace {
namespace {

using detail::json_reader;
using detail::json_value;

// Builds a trace_file while the events stream past.
class builder {
 public:
  builder(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  void event(const json_value& e, std::size_t index, std::size_t at) {
    index_ = index;
    at_ = at;
    if (!e.is_object()) fail("is not an object");
    const json_value* ph = e.find("ph");
    if (ph == nullptr || !ph->is_string()) fail("has no \"ph\" string");
    const std::string& phase = ph->text;
    const std::string cat = string_or(e, "cat", "");
    const std::string name = string_or(e, "name", "");
    if (phase == "M" && name == "thread_name") {
      const json_value* args = e.find("args");
      const json_value* n = args != nullptr ? args->find("name") : nullptr;
      if (n == nullptr || !n->is_string()) fail("thread_name without args.name");
      t_.lanes[lane_of(e)].name = n->text;
    } else if (phase == "X" && (cat == "segment" || cat == "idle" || cat == "lock")) {
      const std::uint32_t lane = lane_of(e);
      const std::int64_t begin = time_of(e, "ts");
      const std::int64_t dur = time_of(e, "dur");
      if (dur < 0) fail("has a negative \"dur\"");
      if (cat == "segment") {
        const std::uint64_t id = arg_id(e, "segment");
        t_.segments.push_back({id, lane, label(name.empty() ? "task" : name), begin, begin + dur});
      } else {
        using k = trace_slice::kind;
        const k what = cat == "lock" ? k::lock_wait : name == "parked" ? k::parked : k::io_wait;
        t_.slices.push_back({what, lane, label(name), begin, begin + dur});
      }
      last_ = std::max(last_, begin + dur);
    } else if ((phase == "s" || phase == "f") && cat == "edge") {
      edge_pids_.push_back(pid_of(e));
      t_.edges.push_back({0, arg_id(e, "from"), arg_id(e, "to")});
    } else if (phase == "i" && (name == "steal" || name == "timer" || name == "loop lag")) {
      using k = trace_mark::kind;
      const std::uint32_t lane = lane_of(e);
      const std::int64_t at_ns = time_of(e, "ts");
      if (name == "steal") {
        const json_value* args = e.find("args");
        const json_value* v = args != nullptr ? args->find("victim") : nullptr;
        std::uint64_t victim = 0;
        if (v != nullptr) detail::to_uint64(*v, victim);
        t_.marks.push_back({k::steal, lane, at_ns, victim});
      } else {
        const bool timer = name == "timer";
        t_.marks.push_back(
            {timer ? k::timer : k::loop_lag, lane, at_ns, arg_id(e, timer ? "late_ns" : "ns")});
      }
      last_ = std::max(last_, at_ns);
    }
  }

  void other_data(const json_value& other) { other_ = other; }

  trace_file finish() {
    if (other_.kind != json_value::type::object)
      not_brigade("no \"otherData\" object (a Chrome trace from another tool?)");
    const json_value* producer = other_.find("producer");
    if (producer == nullptr || !producer->is_string())
      not_brigade("no otherData.producer (a Chrome trace from another tool?)");
    if (producer->text != "brigade")
      not_brigade("otherData.producer is \"" + detail::printable(producer->text) +
                  "\", not \"brigade\"");
    const json_value* version = other_.find("version");
    std::uint64_t v = 0;
    if (version == nullptr || !detail::to_uint64(*version, v) || v != 1)
      throw trace_error(std::string(source_) + ": unsupported brigade trace version " +
                        (version != nullptr && version->is_number() ? version->text : "(none)") +
                        " (this build reads version 1)");
    if (const json_value* d = other_.find("dropped_events"))
      if (!detail::to_uint64(*d, t_.dropped_events))
        not_brigade("otherData.dropped_events is not a non-negative integer");
    std::uint64_t duration = 0;
    if (const json_value* d = other_.find("duration_ns"))
      if (!detail::to_uint64(*d, duration) || duration > (1ULL << 62))
        not_brigade("otherData.duration_ns is not a non-negative integer");
    t_.duration_ns = std::max(static_cast<std::int64_t>(duration), last_);

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
                      detail::describe_position(text_, at_, false) + " " + what);
  }

  static std::string string_or(const json_value& e, std::string_view key, const char* fallback) {
    const json_value* v = e.find(key);
    return v != nullptr && v->is_string() ? v->text : fallback;
  }

  std::int64_t integer(const json_value& e, const char* key) const {
    const json_value* v = e.find(key);
    std::int64_t out = 0;
    if (v == nullptr || !detail::to_int64(*v, out))
      fail(std::string("has no integer \"") + key + "\"");
    return out;
  }

  std::int64_t pid_of(const json_value& e) const { return integer(e, "pid"); }

  std::uint32_t lane_of(const json_value& e) {
    const std::int64_t pid = pid_of(e);
    const std::int64_t tid = integer(e, "tid");
    const auto [it, fresh] = lane_index_.try_emplace({pid, tid}, 0);
    if (fresh) {
      it->second = static_cast<std::uint32_t>(t_.lanes.size());
      t_.lanes.push_back({0, pid, tid, {}});
    }
    return it->second;
  }

  std::int64_t time_of(const json_value& e, const char* key) const {
    const json_value* v = e.find(key);
    std::int64_t ns = 0;
    if (v == nullptr || !v->is_number()) fail(std::string("has no number \"") + key + "\"");
    if (!detail::micros_to_ns(*v, ns)) fail(std::string("has \"") + key + "\" out of range");
    return ns;
  }

  std::uint64_t arg_id(const json_value& e, const char* key) const {
    const json_value* args = e.find("args");
    const json_value* v = args != nullptr ? args->find(key) : nullptr;
    std::uint64_t id = 0;
    if (v == nullptr || !detail::to_uint64(*v, id))
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
  json_value other_;
  std::map<std::pair<std::int64_t, std::int64_t>, std::uint32_t> lane_index_;
  std::unordered_map<std::string, std::uint32_t> label_index_;
  std::vector<std::int64_t> edge_pids_;  // parallel to t_.edges until finish()
  std::int64_t last_ = 0;
  std::size_t index_ = 0;
  std::size_t at_ = 0;
};

}  // namespace

trace_file parse_trace_file(std::string_view json, std::string_view source) {
  json_reader r(json, source);
  builder b(json, source);
  if (r.at_end()) b.not_brigade("the input is empty");
  if (r.peek() == '[') b.not_brigade("the top level is an array; brigade writes an object");
  if (r.peek() != '{') {
    r.value();  // reports the syntax error, if that is what it is
    b.not_brigade("the top level is not an object");
  }
  r.expect('{', "");
  bool events = false;
  if (!r.consume('}')) {
    do {
      if (r.peek() != '"') r.fail("expected a string as the object's key");
      const std::string key = r.string();
      r.expect(':', "after an object key");
      if (key == "traceEvents") {
        if (r.peek() != '[') b.not_brigade("\"traceEvents\" is not an array");
        events = true;
        r.expect('[', "");
        std::size_t index = 0;
        if (!r.consume(']')) {
          do {
            r.peek();  // so the event's position is its first character
            const std::size_t at = r.offset();
            b.event(r.value(), index++, at);  // one event at a time: memory stays small
          } while (r.consume(','));
          r.expect(']', "or ',' in the traceEvents array");
        }
      } else if (key == "otherData") {
        b.other_data(r.value());
      } else {
        r.value();
      }
    } while (r.consume(','));
    r.expect('}', "or ',' in the top-level object");
  }
  if (!r.at_end()) r.fail("unexpected text after the JSON document");
  if (!events) b.not_brigade("no \"traceEvents\" array");
  return b.finish();
}

trace_file read_trace_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::system_error(errno, std::generic_category(), path);
  if (S_ISDIR(st.st_mode)) throw std::system_error(EISDIR, std::generic_category(), path);
  std::string text;
  if (st.st_size > 0) text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), path);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return parse_trace_file(text, path);
}

std::string lane_title(const trace_file& t, std::uint32_t lane) {
  if (lane >= t.lanes.size()) return "?";
  const trace_lane& l = t.lanes[lane];
  return t.processes > 1 ? "pid " + std::to_string(l.pid) + " " + l.name : l.name;
}

trace_file merge_trace_files(std::vector<trace_file> parts) {
  if (parts.size() == 1) return std::move(parts.front());
  trace_file out;
  std::unordered_map<std::string, std::uint32_t> label_index;
  for (trace_file& p : parts) {
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
    for (trace_segment s : p.segments) {
      s.lane += lane_base;
      s.label = labels[s.label];
      out.segments.push_back(s);
    }
    for (trace_slice s : p.slices) {
      s.lane += lane_base;
      s.label = labels[s.label];
      out.slices.push_back(s);
    }
    for (trace_mark m : p.marks) {
      m.lane += lane_base;
      out.marks.push_back(m);
    }
    for (trace_edge e : p.edges) {
      e.process += process_base;
      out.edges.push_back(e);
    }
    out.processes += p.processes;
    out.dropped_events += p.dropped_events;
    out.duration_ns = std::max(out.duration_ns, p.duration_ns);
  }
  builder::sort_and_dedupe(out);
  return out;
}

}  // namespace brigade::trace
