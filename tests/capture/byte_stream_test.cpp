// A plain file larger than FileSource's buffer is read ahead by another
// thread in chunks (read_ahead.h): every way of reading it (borrow, the
// buffered() walk, read() small and large) must still give the file's bytes
// in order, across chunk boundaries, up to its end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "sources/capture/byte_stream.h"
#include "sources/capture/read_ahead.h"

namespace kestrel::kcap {
namespace {

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> b(n);
  uint32_t x = 2463534242u;
  for (auto& v : b) {  // xorshift: no period a chunk size could hide
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = static_cast<uint8_t>(x);
  }
  return b;
}

std::string write_file(const std::vector<uint8_t>& bytes, const std::string& tag) {
  std::string path = ::testing::TempDir() + "byte_stream_" + tag;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return path;
}

// Sizes that straddle the chunks: several chunks and a ragged end.
const size_t kFileSize = ReadAhead::kChunkBytes * 5 + 12345;

TEST(ByteStream, ReadAheadFileReadsEveryByteThroughBorrowWalkAndRead) {
  const std::vector<uint8_t> want = pattern(kFileSize);
  const std::string path = write_file(want, "mixed");
  auto src = open_byte_source(path);
  ASSERT_TRUE(src.ok());
  ByteSource& s = **src;
  std::vector<uint8_t> got;
  // Mixes the ways a reader takes bytes, each size chosen to fall across
  // buffer and chunk boundaries sooner or later.
  const size_t borrow_sizes[] = {8, 4096, 250000, 3, 262144, 77};
  const size_t read_sizes[] = {1, 100000, 300000, 65536, 2 * ReadAhead::kChunkBytes};
  for (size_t step = 0; got.size() < want.size(); ++step) {
    switch (step % 3) {
      case 0: {
        const size_t n = std::min(borrow_sizes[step % 6], want.size() - got.size());
        const uint8_t* p = s.borrow(n);
        ASSERT_NE(p, nullptr) << "borrow " << n << " at " << got.size();
        got.insert(got.end(), p, p + n);
        break;
      }
      case 1: {
        auto b = s.buffered();
        const size_t n = std::min<size_t>(b.size(), 1000 + step);
        got.insert(got.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
        s.consume(n);
        break;
      }
      case 2: {
        std::vector<uint8_t> buf(read_sizes[step % 5]);
        auto r = s.read(buf);
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        break;
      }
    }
    ASSERT_LE(got.size(), want.size());
    ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << "bytes differ before " << got.size();
  }
  EXPECT_EQ(got.size(), want.size());
  // The end: nothing more to borrow or read.
  EXPECT_EQ(s.borrow(1), nullptr);
  uint8_t one[1];
  auto r = s.read(one);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
}

TEST(ByteStream, ReadAheadFileEndingAtAChunkBoundaryEndsCleanly) {
  // The read-ahead thread's last chunk is then empty.
  const std::vector<uint8_t> want = pattern(ReadAhead::kChunkBytes * 2 + 256 * 1024);
  const std::string path = write_file(want, "boundary");
  auto src = open_byte_source(path);
  ASSERT_TRUE(src.ok());
  std::vector<uint8_t> got;
  for (;;) {
    const uint8_t* p = (*src)->borrow(4096);
    if (p == nullptr) break;
    got.insert(got.end(), p, p + 4096);
  }
  EXPECT_EQ(got, want);
}

TEST(ByteStream, BytesAppendedAfterTheReadAheadStoppedAreReadToo) {
  // A capture still being written: once the thread met the end, the reader
  // reads on from the fd by itself.
  const std::vector<uint8_t> first = pattern(ReadAhead::kChunkBytes + 500000);
  const std::string path = write_file(first, "growing");
  auto src = open_byte_source(path);
  ASSERT_TRUE(src.ok());
  std::vector<uint8_t> got;
  for (;;) {  // in pieces smaller than the buffer: the read-ahead serves them
    uint8_t piece[100000];
    auto r = (*src)->read(piece);
    ASSERT_TRUE(r.ok());
    if (*r == 0) break;
    got.insert(got.end(), piece, piece + *r);
  }
  EXPECT_EQ(got, first);
  uint8_t one[1];
  ASSERT_EQ(*(*src)->read(one), 0u);
  std::ofstream(path, std::ios::binary | std::ios::app).write("more", 4);
  uint8_t more[4];
  auto m = (*src)->read(more);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(*m, 4u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(more), 4), "more");
}

}  // namespace
}  // namespace kestrel::kcap
