// read_ahead.h — a thread that reads a regular file ahead of its reader.
//
// A replay's cost on a large capture is partly the kernel copying the file
// from the page cache (read(2)): about a fifth of a .scap replay's CPU.
// That copy needs no answer from the reader, so another core does it
// while the reader walks the bytes already read: the reader then only
// waits when it outruns the disk or that core.
//
// The file is read in chunks of kChunkBytes, each behind kHeadroom bytes
// left free: the consumer copies the unread tail of the chunk it is done
// with in front of the next one, so a record that straddles two chunks is
// still seen in one piece (FileSource lends records up to kHeadroom bytes
// in place). A few chunks circulate, so memory stays bounded. Reads go
// from the fd's current position on, in order: when the thread stops (end
// of file or a read error, reported by the last chunk being short), the
// fd's position is just past the last byte it delivered and the consumer
// reads on by itself (a file still growing, or the error again).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kestrel::kcap {

class ReadAhead {
 public:
  static constexpr size_t kChunkBytes = size_t{1} << 20;
  static constexpr size_t kHeadroom = 256 * 1024;
  static constexpr size_t kChunks = 4;

  struct Chunk {
    // kHeadroom free bytes, then the file's bytes: [kHeadroom, kHeadroom + size).
    uint8_t* mem = nullptr;  // in region_
    bool populated = false;  // its pages mapped (the thread's first fill)
    size_t size = 0;
    // The thread stopped after this chunk (short read: end of file or a
    // read error, which a read(2) of the consumer's then meets again).
    bool last = false;
    uint8_t* data() { return mem + kHeadroom; }
  };

  // Starts reading `fd` (not owned: it must outlive this object).
  explicit ReadAhead(int fd);
  // Stops the thread (a read in progress on a regular file ends soon).
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next chunk in file order, waiting for it. Not to be called again
  // after a chunk marked last.
  Chunk* take();
  // A chunk the consumer no longer reads, for the thread to fill again.
  void give_back(Chunk* c);

 private:
  void run();

  int fd_;
  // Every chunk's memory, one anonymous mapping: the thread populates each
  // chunk before its first fill (MADV_POPULATE_WRITE), ~1.5 us a page,
  // where the page faults of reads into fresh memory cost ~20 us each in
  // a VM (1,280 pages).
  void* region_ = nullptr;
  size_t region_bytes_ = 0;
  std::vector<Chunk> chunks_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk*> free_, filled_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is set up
};

}  // namespace kestrel::kcap
