package blockstore

import (
	"errors"

	"github.com/halo-fs/halo/conf"
)

// ConfigFrom builds the store's configuration from a worker's resolved
// properties: alluxio.worker.tieredstore.levels and, for each level, its
// alias, dirs.path and dirs.quota (comma lists; a folder without its own
// quota takes the last one given), dirs.mediumtype and watermark ratios;
// level0's quota defaults to alluxio.worker.ramdisk.size.
// alluxio.worker.block.annotator.class takes Alluxio's class names or
// LRU/LRFU. A bad value is an error naming the key.
func ConfigFrom(c *conf.Config) (Config, error) {
	return Config{}, errors.New("blockstore: ConfigFrom not implemented")
}
