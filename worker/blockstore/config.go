package blockstore

import (
	"errors"
	"fmt"
)

// Tier aliases Alluxio defines, fastest first. A tier's position in
// Config.Tiers, not its alias, decides where evicted blocks go.
const (
	TierMEM = "MEM"
	TierSSD = "SSD"
	TierHDD = "HDD"
)

// Annotator names the order in which blocks are evicted.
type Annotator string

// Annotators, as alluxio.worker.block.annotator.class selects them.
const (
	// LRU evicts the block read or written longest ago.
	LRU Annotator = "LRU"
	// LRFU weighs how often and how recently a block was used
	// (Alluxio's LRFUAnnotator): a block read often long ago can outlive
	// one read once a moment ago.
	LRFU Annotator = "LRFU"
)

// Default watermarks, Alluxio's: eviction starts when a tier is 95% full
// and stops at 70%.
const (
	DefaultHighWatermark = 0.95
	DefaultLowWatermark  = 0.7
)

// Default LRFU factors, Alluxio's alluxio.worker.block.annotator.lrfu.*.
const (
	DefaultLRFUStepFactor        = 0.25
	DefaultLRFUAttenuationFactor = 2.0
)

// DirConfig is one folder of a tier.
type DirConfig struct {
	Path   string
	Quota  int64  // bytes this folder may hold
	Medium string // medium type reported to the master; the tier alias when empty
}

// TierConfig is one storage tier.
type TierConfig struct {
	Alias string // MEM, SSD or HDD
	Dirs  []DirConfig
	// Watermarks, fractions of the tier's capacity; zero takes the
	// defaults.
	HighWatermark float64
	LowWatermark  float64
}

// Config describes a block store. Tiers are ordered fastest first; blocks
// evicted from tier i go to tier i+1, and from the last tier they are
// removed.
type Config struct {
	Tiers     []TierConfig
	Annotator Annotator // LRU when empty
	// LRFU factors; zero takes the defaults.
	LRFUStepFactor        float64
	LRFUAttenuationFactor float64
}

// Validate checks the configuration and fills in defaults, naming the
// tier or folder at fault.
func (c *Config) Validate() error {
	return errors.New("blockstore: Config.Validate not implemented")
}

func (c *Config) tierIndex(alias string) (int, error) {
	for i, tier := range c.Tiers {
		if tier.Alias == alias {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownTier, alias)
}
