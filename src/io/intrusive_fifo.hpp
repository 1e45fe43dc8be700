// A first-in, first-out list linked through a member of its nodes: the loop's posted work and
// cancellations, and the epoll backend's waiting operations per descriptor.
#pragma once

namespace brigade::detail {

/// An intrusive first-in, first-out list linked through T's member Link; allocates nothing.
/// Not synchronized: its owner guards it (loop_core with post_mu_; the epoll backend runs on
/// the loop's thread only).
template <class T, T* T::*Link>
class intrusive_fifo {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  /// The first node (the rest follow through Link); nullptr when empty.
  T* front() const noexcept { return head_; }
  void push(T& n) noexcept {
    n.*Link = nullptr;
    (tail_ != nullptr ? tail_->*Link : head_) = &n;
    tail_ = &n;
  }
  /// Unlinks the first node. Not empty.
  void pop() noexcept {
    head_ = head_->*Link;
    if (head_ == nullptr) tail_ = nullptr;
  }
  /// Unlinks n wherever it is; false when it is not in the list. Linear in n's position.
  bool remove(T& n) noexcept {
    T* prev = nullptr;
    for (T* p = head_; p != nullptr; prev = p, p = p->*Link) {
      if (p != &n) continue;
      (prev != nullptr ? prev->*Link : head_) = p->*Link;
      if (tail_ == p) tail_ = prev;
      return true;
    }
    return false;
  }
  /// Empties the list and returns its first node (the rest follow through Link).
  T* take_all() noexcept {
    T* first = head_;
    head_ = tail_ = nullptr;
    return first;
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
};

}  // namespace brigade::detail
