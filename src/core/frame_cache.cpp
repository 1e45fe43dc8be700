// Where task frames come from (frame_cache.hpp): per-thread pages of equal-sized blocks.
//
// Frames up to 512 bytes are rounded up to a multiple of 8 bytes, larger ones up to 2 KiB to a
// multiple of 16 (160 size classes). A block whose size is an odd multiple of 8 is only 8-byte
// aligned, and that is enough: an object's size is a multiple of its alignment, so a frame of
// such a size needs no more (g++ and clang lay frames out as structs; they ask for their size).
// Eight-byte steps matter for the frames most numerous at once: a sleeping task's frame of 232
// bytes costs 232, not 240 (a million sleepers: 8 MB). A page is
// 64 KiB, aligned to its size, and holds blocks of one class side by side after a 128-byte
// header, with no header per block: a block finds its page by masking its address. A frame of
// 272 bytes costs 272 bytes plus 1/240 of a header, where malloc charges 288 and, since those
// chunks are too large for its fast bins, merges each freed one with its neighbours.
//
// Ownership. A page belongs to the thread that took it (`owner`, the thread's id, never reused).
// Only the owner allocates from it, and a block the owner frees goes on the page's local free
// list: no atomics on either path. A block freed on another thread is pushed on the page's
// `remote_free` stack (one CAS); the owner takes the whole stack when it looks for blocks. Each
// thread keeps, per class, a list of pages that have free blocks (`avail`; the first is the one
// allocated from) and a list of pages that had none left (`full`). A page that a local free
// leaves empty goes back to the shared pool unless it is the class's current page. Blocks freed
// by other threads into full pages are found by the owner's slow path, which looks at a few full
// pages (round robin) every time it would otherwise take a new page, so a thread whose frames
// end elsewhere does not grow without bound.
//
// A thread's end. Its pages are abandoned: under `abandoned_lock`, each page's remote stack is
// taken and closed (`abandoned_bit`), its pending frees counted; pages with no frame left go back
// to the pool, the others are freed by whichever thread frees their last frame (that free finds
// the bit, takes the lock and counts down `used`). A frame allocated after the thread's end (a
// thread_local destructor starting a coroutine) gets an abandoned page of its own.
//
// The page pool (shared, under `pool_lock`, one lock per page taken or given back) carves pages
// from 4 MiB regions of operator new, and keeps freed pages for reuse; past 4 MiB of free pages
// it gives a page's memory back to the system (madvise) before keeping it. Regions are never
// unmapped. fork() takes both locks first (pthread_atfork), so a child can make frames.
//
// Under AddressSanitizer all of this is off (BRIGADE_FRAME_CACHE, in the header): every frame is
// an operator new of its own, so that a use after the frame's end is still reported.
#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/detail/frame_cache.hpp>

#include <pthread.h>
#include <sys/mman.h>

#include <cstdint>
#include <mutex>
#include <new>

namespace brigade::detail {

#if BRIGADE_FRAME_CACHE
namespace {

constexpr std::size_t fine_limit = 512;               // 8-byte steps up to here
constexpr std::size_t fine_classes = fine_limit / 8;  // 8, 16, ..., 512 bytes
constexpr std::size_t largest = 2048;                 // then 16-byte steps up to here
constexpr std::size_t class_count = fine_classes + (largest - fine_limit) / 16;  // 160
static_assert(class_count < 256, "page::size_class is one byte");
constexpr std::size_t page_bytes = 64 * 1024;
constexpr std::size_t header_bytes = 128;
constexpr std::size_t region_bytes = 4 * 1024 * 1024;
constexpr std::size_t pool_keep_resident = 64;  // free pages kept with their memory (4 MiB)
constexpr int full_pages_looked_at = 4;         // per page taken: see the file comment
constexpr std::uintptr_t abandoned_bit = 1;
constexpr std::uint64_t lone_owner = ~std::uint64_t{0};  // a page no thread owns

struct free_block {
  free_block* next;
};

enum class page_list : std::uint8_t { avail, full, retired, none };

struct page {
  // Written once when the page is taken, before any of its blocks is handed out: other threads
  // read it only through a block they were given, which orders it for them.
  std::uint64_t owner;
  std::uint32_t block_size;
  std::uint32_t capacity;  // blocks on the page
  // The owner's alone (after the page is abandoned: `used` under abandoned_lock).
  std::uint32_t used = 0;  // blocks handed out and not yet back in local_free
  std::uint8_t size_class;
  page_list list = page_list::none;
  page* prev = nullptr;
  page* next = nullptr;
  free_block* local_free = nullptr;
  char* bump;  // the next block never handed out, up to `end`
  char* end;
  // Other threads' frees: a stack of blocks, or abandoned_bit once the owner has ended. On its
  // own cache line, so that their pushes do not slow the owner's allocations.
  alignas(64) atomic<std::uintptr_t> remote_free{0};
};
static_assert(sizeof(page) <= header_bytes);

page* page_of(void* block) noexcept {
  return reinterpret_cast<page*>(reinterpret_cast<std::uintptr_t>(block) & ~(page_bytes - 1));
}

// ---- the shared pool of pages ----

struct pooled_page {
  pooled_page* next;
};

constinit std::mutex pool_lock;
constinit pooled_page* pool_free = nullptr;  // under pool_lock
constinit std::size_t pool_count = 0;        // pages in pool_free
constinit std::size_t pages_in_use = 0;      // taken and not given back
constinit char* region_next = nullptr;       // the current region's pages never used
constinit char* region_end = nullptr;

// A child forked while another thread held one of the locks would wait for it forever at its
// first new page; so, as malloc does, fork takes both locks first and lets go of them on both
// sides.
constinit std::mutex abandoned_lock;  // see abandon()

void lock_for_fork() noexcept {
  pool_lock.lock();
  abandoned_lock.lock();
}

void unlock_after_fork() noexcept {
  abandoned_lock.unlock();
  pool_lock.unlock();
}

void* take_page_memory() {
  // Registered before the first page exists: before any lock can be held.
  [[maybe_unused]] static const int fork_handlers =
      ::pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
  std::lock_guard<std::mutex> hold(pool_lock);
  if (pooled_page* p = pool_free) {
    ++pages_in_use;
    pool_free = p->next;
    --pool_count;
    return p;
  }
  if (region_next == region_end) {
    // Throws std::bad_alloc as operator new does; nothing has changed then.
    region_next = static_cast<char*>(::operator new (region_bytes, std::align_val_t{page_bytes}));
    region_end = region_next + region_bytes;
  }
  void* p = region_next;
  region_next += page_bytes;
  ++pages_in_use;
  return p;
}

void give_page_memory(void* memory) noexcept {
  std::lock_guard<std::mutex> hold(pool_lock);
  if (pool_count >= pool_keep_resident) {
    // The system takes the memory back; the link written below touches it again, one small
    // page of the 64 KiB. Failure only means the memory stays: nothing to report.
    (void)::madvise(memory, page_bytes, MADV_DONTNEED);
  }
  --pages_in_use;
  auto* p = static_cast<pooled_page*>(memory);
  p->next = pool_free;
  pool_free = p;
  ++pool_count;
}

void release_page(page* p) noexcept {
  p->~page();
  give_page_memory(p);
}

// ---- one thread's pages ----

struct class_pages {
  page* avail;      // pages with a free block, except maybe the first (the one allocated from)
  page* full;       // pages that had no free block left when last looked at, oldest first
  page* full_tail;  // the last of them
};

// Trivially destructible, so reaching it costs no thread_local guard; `drain` below abandons its
// pages when the thread ends.
struct thread_pages {
  class_pages classes[class_count];
  page* retired;     // trim_frame_cache: frames still in use, never allocated from again
  std::uint64_t id;  // 0 until the thread takes its first page, and again after its end
  bool drain_registered;
  bool ended;
};
constinit thread_local thread_pages mine{};
constinit atomic<std::uint64_t> next_thread_id{1};

page*& head_of(page_list list, std::size_t s) noexcept {
  switch (list) {
    case page_list::avail:
      return mine.classes[s].avail;
    case page_list::full:
      return mine.classes[s].full;
    default:
      return mine.retired;
  }
}

void unlink(page* p) noexcept {
  if (p->prev != nullptr) {
    p->prev->next = p->next;
  } else {
    head_of(p->list, p->size_class) = p->next;
  }
  if (p->next != nullptr) {
    p->next->prev = p->prev;
  } else if (p->list == page_list::full) {
    mine.classes[p->size_class].full_tail = p->prev;
  }
  p->prev = p->next = nullptr;
  p->list = page_list::none;
}

// At the front of `avail` or `retired` (`full` takes pages at its back).
void push_front(page* p, page_list list) noexcept {
  page*& head = head_of(list, p->size_class);
  p->prev = nullptr;
  p->next = head;
  if (head != nullptr) head->prev = p;
  head = p;
  p->list = list;
}

// Second in `avail`: the first stays the page allocated from.
void push_second(page* p) noexcept {
  page* first = mine.classes[p->size_class].avail;
  if (first == nullptr) return push_front(p, page_list::avail);
  p->prev = first;
  p->next = first->next;
  if (first->next != nullptr) first->next->prev = p;
  first->next = p;
  p->list = page_list::avail;
}

// At the back of `full`, so that the slow path's look from the front goes round all of them.
void push_back_full(page* p) noexcept {
  class_pages& c = mine.classes[p->size_class];
  p->next = nullptr;
  p->prev = c.full_tail;
  if (c.full_tail != nullptr) {
    c.full_tail->next = p;
  } else {
    c.full = p;
  }
  c.full_tail = p;
  p->list = page_list::full;
}

// Moves the blocks other threads freed into the local list; true if there were any.
bool take_remote(page* p) noexcept {
  if (p->remote_free.load(memory_order_relaxed) == 0) return false;
  // acquire: pairs with the release CAS in free_remote, so each block's link and the freeing
  // thread's last uses of the block happen before this thread reuses it.
  auto* b = reinterpret_cast<free_block*>(p->remote_free.exchange(0, memory_order_acquire));
  std::uint32_t n = 0;
  free_block* last = b;
  for (free_block* x = b; x != nullptr; x = x->next) {
    ++n;
    last = x;
  }
  if (n == 0) return false;
  last->next = p->local_free;
  p->local_free = b;
  p->used -= n;
  return true;
}

void* pop(page* p) noexcept {
  ++p->used;
  if (free_block* b = p->local_free) {
    p->local_free = b->next;
    return b;
  }
  void* b = p->bump;
  p->bump += p->block_size;
  return b;
}

bool has_block(const page* p) noexcept {
  return p->local_free != nullptr || p->bump != p->end;
}

// The block size of class s.
std::size_t class_bytes(std::size_t s) noexcept {
  return s < fine_classes ? (s + 1) * 8 : fine_limit + (s - fine_classes + 1) * 16;
}

page* new_page(std::size_t s, std::uint64_t owner) {
  void* memory = take_page_memory();
  const std::uint32_t block = static_cast<std::uint32_t>(class_bytes(s));
  auto* p = ::new (memory) page{};
  p->owner = owner;
  p->block_size = block;
  p->capacity = static_cast<std::uint32_t>((page_bytes - header_bytes) / block);
  p->size_class = static_cast<std::uint8_t>(s);
  p->bump = static_cast<char*>(memory) + header_bytes;
  p->end = p->bump + std::size_t{p->capacity} * block;
  return p;
}

// Closes a page's remote stack; frees it if no frame is left on it. Takes abandoned_lock.
void abandon(page* p) noexcept {
  bool empty = false;
  {
    std::lock_guard<std::mutex> hold(abandoned_lock);
    // acq_rel: acquire as in take_remote; release is not needed by the freers (they read only
    // the bit, then take the lock, which orders `used`), but costs nothing on an exchange.
    std::uintptr_t h = p->remote_free.exchange(abandoned_bit, memory_order_acq_rel);
    for (auto* b = reinterpret_cast<free_block*>(h); b != nullptr; b = b->next) --p->used;
    empty = p->used == 0;
  }
  if (empty) release_page(p);
}

void abandon_list(page*& head) noexcept {
  while (page* p = head) {
    unlink(p);
    abandon(p);
  }
}

// Constructed on a thread's first page; its destructor runs when the thread ends.
struct drain {
  drain() noexcept { mine.drain_registered = true; }
  drain(const drain&) = delete;
  drain& operator=(const drain&) = delete;
  ~drain() {
    mine.ended = true;
    mine.id = 0;  // no page matches: frees from now on take the remote path
    for (class_pages& c : mine.classes) {
      abandon_list(c.avail);
      abandon_list(c.full);
    }
    abandon_list(mine.retired);
  }
};

void* allocate_slow(std::size_t s) {
  if (mine.ended) {
    // After the thread's end: a page of its own, abandoned from the start, freed with its frame.
    page* p = new_page(s, lone_owner);
    p->remote_free.store(abandoned_bit, memory_order_relaxed);  // nobody else knows the page yet
    return pop(p);
  }
  class_pages& c = mine.classes[s];
  // The current page: blocks other threads freed, else it joins the full pages.
  if (page* p = c.avail) {
    if (take_remote(p)) return pop(p);
    unlink(p);
    push_back_full(p);
    if (c.avail != nullptr) return pop(c.avail);  // the next one has a free block
  }
  // A few full pages, round robin, in case other threads freed blocks into them.
  for (int i = 0; i < full_pages_looked_at && c.full != nullptr; ++i) {
    page* p = c.full;
    unlink(p);
    if (take_remote(p)) {
      push_front(p, page_list::avail);
      return pop(p);
    }
    push_back_full(p);
  }
  if (mine.id == 0) mine.id = next_thread_id.fetch_add(1, memory_order_relaxed);  // unique only
  if (!mine.drain_registered) {
    // A thread_local with a destructor: constructed here once per thread, run at its end.
    static thread_local drain d;
    (void)d;
  }
  page* p = new_page(s, mine.id);
  push_front(p, page_list::avail);
  return pop(p);
}

void free_remote(page* p, free_block* b) noexcept {
  std::uintptr_t h = p->remote_free.load(memory_order_relaxed);
  for (;;) {
    if ((h & abandoned_bit) != 0) {
      // The owner has ended (the bit was set under the lock taken here, so `used` is ordered).
      bool empty = false;
      {
        std::lock_guard<std::mutex> hold(abandoned_lock);
        empty = --p->used == 0;
      }
      if (empty) release_page(p);
      return;
    }
    b->next = reinterpret_cast<free_block*>(h);
    // release: pairs with the owner's acquire exchange in take_remote (see there).
    if (p->remote_free.compare_exchange_weak(h, reinterpret_cast<std::uintptr_t>(b),
                                             memory_order_release, memory_order_relaxed))
      return;
  }
}

// The index of the size class of n bytes, or `class_count` when n is 0 or too large.
std::size_t size_class(std::size_t n) noexcept {
  if (n == 0 || n > largest) return class_count;
  if (n <= fine_limit) return (n + 7) / 8 - 1;
  return fine_classes + (n - fine_limit + 15) / 16 - 1;
}

}  // namespace

void* allocate_frame(std::size_t n) {
  const std::size_t s = size_class(n);
  if (s == class_count) return ::operator new(n);
  if (page* p = mine.classes[s].avail; p != nullptr && has_block(p)) return pop(p);
  return allocate_slow(s);
}

void free_frame(void* ptr, std::size_t n) noexcept {
  if (size_class(n) == class_count) {
    ::operator delete(ptr);
    return;
  }
  page* p = page_of(ptr);
  auto* b = static_cast<free_block*>(ptr);
  if (p->owner != mine.id) {
    free_remote(p, b);
    return;
  }
  b->next = p->local_free;
  p->local_free = b;
  --p->used;
  switch (p->list) {
    case page_list::full:  // it has a free block again
      unlink(p);
      push_second(p);
      break;
    case page_list::avail:
      // An empty page goes back to the pool, unless it is the one allocated from.
      if (p->used == 0 && mine.classes[p->size_class].avail != p) {
        unlink(p);
        release_page(p);
      }
      break;
    case page_list::retired:
      if (p->used == 0) {
        unlink(p);
        release_page(p);
      }
      break;
    case page_list::none:
      break;
  }
}

void trim_frame_cache() noexcept {
  for (class_pages& c : mine.classes) {
    for (page** list : {&c.avail, &c.full}) {
      while (page* p = *list) {
        unlink(p);
        take_remote(p);
        if (p->used == 0) {
          release_page(p);
        } else {
          push_front(p, page_list::retired);
        }
      }
    }
  }
}

std::size_t cached_frame_bytes() noexcept {
  std::size_t bytes = 0;
  for (const class_pages& c : mine.classes)
    for (const page* list : {c.avail, c.full})
      for (const page* p = list; p != nullptr; p = p->next)
        bytes += std::size_t{p->capacity - p->used} * p->block_size;
  return bytes;
}

std::size_t frame_pages_in_use() noexcept {
  std::lock_guard<std::mutex> hold(pool_lock);
  return pages_in_use;
}

#else  // BRIGADE_FRAME_CACHE

void* allocate_frame(std::size_t n) {
  return ::operator new(n);
}

void free_frame(void* p, std::size_t) noexcept {
  ::operator delete(p);
}

void trim_frame_cache() noexcept {}

std::size_t cached_frame_bytes() noexcept {
  return 0;
}

std::size_t frame_pages_in_use() noexcept {
  return 0;
}

#endif  // BRIGADE_FRAME_CACHE

}  // namespace brigade::detail
