// Package blockstore is a worker's tiered block store: blocks cached in
// MEM, SSD and HDD tier folders, with space reserved before a write, a
// checksum per chunk verified on every read, eviction down the tiers when
// a tier fills, and a rescan at Open that keeps only whole committed
// blocks. It does no networking: the worker process (package worker)
// serves it to clients and reports it to the masters through Report and
// TakeChanges.
//
// On disk, every tier folder holds a "halo-blocks" folder. A committed
// block is two files there: <id>, the raw data (so a client on the same
// host can read it directly, as Alluxio's short-circuit reads do), and
// <id>.meta, its length and chunk checksums. A block being written lives
// in halo-blocks/tmp until Commit renames it into place; Open deletes
// whatever tmp holds, because a write that did not commit was never
// acknowledged.
package blockstore
