// Package record is nscope's flight recorder: it stores a host's history
// as full snapshots at intervals and compact deltas between them, and reads
// back the host as it was at any moment.
//
// # Format
//
// A recording is a directory of segment files, NAME.nsrec, named by the UTC
// time of their first record (so names sort by time), each with an index
// file NAME.nsidx beside it. A segment starts with a 16-byte file header
// (magic "NSCOPREC", format version) and holds framed records; its first
// record after the meta record is always a full snapshot, so a segment
// reads without any other, and retention removes whole segments.
//
// Every record is a 28-byte header and a payload:
//
//	0  u32  payload length (bytes on disk)
//	4  u32  raw length (payload after decompression)
//	8  i64  time, Unix nanoseconds
//	16 u8   kind: 1 meta, 2 full snapshot, 3 delta
//	17 u8   codec: 0 none, 1 zstd
//	18 u16  marks: the kinds of event marks the record carries
//	20 u8   the highest CPU throttling of a cgroup in the record, percent
//	21 3 bytes zero
//	24 u32  CRC-32C of bytes 0-23 and the payload
//
// little endian. A full payload is a u32 length, the snapshot as compact
// JSON (the schema of "nscope snapshot"), then the record's Extras as JSON.
// A delta payload is a Delta as JSON: what changed since the record before
// it (processes started, exited or changed, namespaces and cgroups added,
// removed or changed, counters moved), with the record's Extras.
//
// An index entry is 32 bytes: time, offset of the record in its segment,
// record length, kind, throttling, marks and a CRC-32C of the entry. The
// index is a cache: Open reads the records an index lacks from the segment
// itself, and Reindex rewrites every index from the segments.
//
// Crash safety: a record is written with one write(2); a torn or damaged
// record fails its length or CRC check and ends the readable part of its
// segment (reported by Recording.Problems, never fatal). Records are
// capped (MaxPayload, MaxRaw) so damaged or hostile input cannot make a
// reader allocate without bound. When the disk is full the writer cuts the
// half-written record off and stops with ErrDiskFull; what was written
// before stays readable.
package record
