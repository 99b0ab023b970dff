// shared/wal/format.h
//
// Constants of etcd's WAL format. Byte layout and worked example: shared/wal/FORMAT.md.
// Authority: etcd server/storage/wal (v3.5.30; wal/ in v3.4.23): encoder.go, wal.go.
// Everything here is written to disk: never change a value.
#ifndef ETCDRESTORE_SHARED_WAL_FORMAT_H_
#define ETCDRESTORE_SHARED_WAL_FORMAT_H_

#include <cstdint>
#include <string>

namespace etcdrestore::wal {

// walpb.Record.type values (wal.go: MetadataType = iota + 1, ...).
enum class RecordType : int64_t {
  kMetadata = 1,  // etcdserverpb.Metadata{node_id, cluster_id}
  kEntry = 2,     // raftpb.Entry
  kState = 3,     // raftpb.HardState
  kCrc = 4,       // no data; crc = running crc of the previous segment
  kSnapshot = 5,  // walpb.Snapshot
};

// Every segment file is preallocated to this size (wal.SegmentSizeBytes, 64 MB decimal).
inline constexpr uint64_t kSegmentSizeBytes = 64 * 1000 * 1000;

// Frames are padded to this alignment; the length field is 8 bytes little-endian.
inline constexpr uint64_t kFrameAlign = 8;
inline constexpr uint64_t kLengthFieldSize = 8;
// Low 56 bits of the length field: record length. Top byte: 0x80 | pad when padded.
inline constexpr uint64_t kLengthMask = (uint64_t{1} << 56) - 1;

// Segment file name "%016x-%016x.wal": sequence number, raft index of its first entry.
std::string WalFileName(uint64_t seq, uint64_t index);

}  // namespace etcdrestore::wal

#endif  // ETCDRESTORE_SHARED_WAL_FORMAT_H_
