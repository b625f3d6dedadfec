// Package worker will hold the worker process (`halo worker`): registration
// with the leading master and heartbeats that survive failover, the RPC and
// data port (29999) and the web port (30000). Its block store, with MEM, SSD
// and HDD tiers and eviction, goes in worker/blockstore; the client's file
// streams through workers go in client/. Nothing is here yet: the room is
// reserved so that the workers issue builds into the house plan rather than
// beside it.
package worker
