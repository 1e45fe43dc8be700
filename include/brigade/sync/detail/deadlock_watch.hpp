// "All chefs are asleep": the hook brigade's untimed blocking waits call so that a process whose
// threads all wait for each other forever ends with a report instead of hanging. How it decides,
// and its limits: src/sync/README.md ("All chefs are asleep").
#pragma once

namespace brigade::detail::deadlock_watch {

/// Marks the calling thread as sleeping in an untimed brigade wait while it lives: `what`
/// names the wait ("brigade::mutex"), `name` the object's name (may be null), `object` its
/// address. parker::wait() makes one, so every untimed brigade wait (channel's included) is
/// covered. Costs nothing on the fast paths (it is only made before a thread sleeps); there, one
/// uncontended internal lock when detection is on, a relaxed load when it is off.
class blocked_scope {
 public:
  blocked_scope(const char* what, const char* name, const void* object) noexcept;
  ~blocked_scope();
  blocked_scope(const blocked_scope&) = delete;
  blocked_scope& operator=(const blocked_scope&) = delete;

  // Registry links (guarded by the registry's lock).
  blocked_scope* next = nullptr;
  blocked_scope* prev = nullptr;
  const char* what;
  const char* name;
  const void* object;
  int tid = 0;
  bool linked = false;
};

}  // namespace brigade::detail::deadlock_watch
