// Package worker is the worker process (`halo worker`): it claims the
// worker's identity, opens its block store (worker/blockstore), serves
// Alluxio's BlockWorker service on the RPC and data port (29999) and
// /health, /health/ready and /metrics on the web port (30000), and
// reports to every master, standbys included, through Alluxio's
// BlockMasterWorkerService.
//
// Reporting to every master is what makes a failover cheap: each master
// keeps a live worker table and block locations (soft state, never
// journaled), so the new leader knows the workers before its first
// request, and no worker registers again. Each master gets a link
// (link.go) with an authenticated channel of its own: registration with
// the full report in batches, then heartbeats carrying the used bytes
// and the block changes that master has not been told yet. The store's
// changes are taken once and handed to every link (Worker.collectChanges)
// under one lock with the registration snapshots, so each master learns
// each change exactly once, in a heartbeat or in a registration.
//
// The worker obeys the masters' commands: Register, and Free or Delete of
// blocks, which a Halo master sends only when it leads and has caught up
// with the journal (master.BlocksToDelete). The client's file streams
// through workers go in client/.
package worker
