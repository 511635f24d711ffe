// lru_map.h — a hash map that remembers the order its entries were used.
//
// The state tables are bounded: when one is full its owner evicts the entry
// that was used least recently (threads: touched on every event they
// produce) or that was inserted first (fds: never touched, so insertion
// order is the order). LruMap gives O(1) find, insert, erase, touch and
// "oldest"; it does not evict by itself, because evicting a thread or an
// fd has side effects (counters, a process losing a thread) the owner must
// apply.
//
// Values live in unordered_map nodes: pointers to them stay valid until
// that entry is erased. Not thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace kestrel {

template <typename K, typename V, typename Hash = std::hash<K>>
class LruMap {
 public:
  size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }

  // The value for `key`, or nullptr. Does not change the order.
  V* find(const K& key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.value;
  }
  const V* find(const K& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.value;
  }

  // find() and touch() in one hash lookup (the per-event path).
  V* find_and_touch(const K& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second.pos);
    return &it->second.value;
  }

  // Inserts a default value for `key` as the most recent entry, or returns
  // the existing one untouched. `.second` is true if it was inserted.
  std::pair<V*, bool> try_emplace(const K& key) {
    auto [it, inserted] = map_.try_emplace(key);
    if (inserted) {
      order_.push_front(key);
      it->second.pos = order_.begin();
    }
    return {&it->second.value, inserted};
  }

  // try_emplace() that keeps the map within `capacity` (>= 1) entries: a
  // new key in a full map first evicts the oldest entries, calling
  // on_evict(key, value) for each before it goes (the owner's counters and
  // budget). An existing key is returned untouched and evicts nothing.
  template <typename OnEvict>
  std::pair<V*, bool> try_emplace_bounded(const K& key, size_t capacity, OnEvict&& on_evict) {
    if (V* existing = find(key)) return {existing, false};
    while (!map_.empty() && map_.size() >= capacity) {
      auto it = map_.find(order_.back());
      on_evict(static_cast<const K&>(it->first), it->second.value);
      map_.erase(it);
      order_.pop_back();
    }
    return try_emplace(key);
  }

  // Makes `key` the most recently used entry; false if absent.
  bool touch(const K& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    order_.splice(order_.begin(), order_, it->second.pos);
    return true;
  }

  bool erase(const K& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    order_.erase(it->second.pos);
    map_.erase(it);
    return true;
  }

  // The least recently used (or first inserted, if never touched) key;
  // nullptr when empty.
  const K* oldest() const { return order_.empty() ? nullptr : &order_.back(); }

  void clear() {
    map_.clear();
    order_.clear();
  }

  // Calls fn(key, value) for every entry, most recent first. `fn` must not
  // insert or erase.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const K& key : order_) fn(key, map_.find(key)->second.value);
  }
  template <typename Fn>
  void for_each_mutable(Fn&& fn) {
    for (const K& key : order_) fn(key, map_.find(key)->second.value);
  }
  // The same, least recent first.
  template <typename Fn>
  void for_each_oldest_first(Fn&& fn) const {
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) fn(*it, map_.find(*it)->second.value);
  }

 private:
  struct Node {
    V value{};
    typename std::list<K>::iterator pos;
  };
  std::unordered_map<K, Node, Hash> map_;
  std::list<K> order_;  // front = most recently used
};

}  // namespace kestrel
