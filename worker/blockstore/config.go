package blockstore

import (
	"errors"
	"fmt"
	"path/filepath"
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
	// SkipDataCheckOnOpen makes Open check each block's metadata and
	// length only, not read its data through the checksums: a start then
	// costs a few file operations per block rather than reading every
	// disk whole. Reads verify the data either way, and drop a damaged
	// block when they meet it.
	SkipDataCheckOnOpen bool
}

// Validate checks the configuration and fills in defaults, naming the
// tier or folder at fault.
func (c *Config) Validate() error {
	if len(c.Tiers) == 0 {
		return errors.New("blockstore: no tiers configured")
	}
	if c.Annotator == "" {
		c.Annotator = LRU
	}
	if c.Annotator != LRU && c.Annotator != LRFU {
		return fmt.Errorf("blockstore: annotator %q: want LRU or LRFU", c.Annotator)
	}
	if c.LRFUStepFactor == 0 {
		c.LRFUStepFactor = DefaultLRFUStepFactor
	}
	if c.LRFUAttenuationFactor == 0 {
		c.LRFUAttenuationFactor = DefaultLRFUAttenuationFactor
	}
	if c.LRFUStepFactor < 0 || c.LRFUStepFactor > 1 {
		return fmt.Errorf("blockstore: LRFU step factor %v: want a value in (0, 1]", c.LRFUStepFactor)
	}
	if c.LRFUAttenuationFactor < 2 {
		return fmt.Errorf("blockstore: LRFU attenuation factor %v: want 2 or more", c.LRFUAttenuationFactor)
	}
	aliases := make(map[string]bool)
	paths := make(map[string]string)
	for i := range c.Tiers {
		tier := &c.Tiers[i]
		if err := tier.validate(); err != nil {
			return fmt.Errorf("blockstore: tier %d (%s): %w", i, tier.Alias, err)
		}
		if aliases[tier.Alias] {
			return fmt.Errorf("blockstore: tier alias %s is configured twice", tier.Alias)
		}
		aliases[tier.Alias] = true
		for _, dir := range tier.Dirs {
			clean := filepath.Clean(dir.Path)
			if other, dup := paths[clean]; dup {
				return fmt.Errorf("blockstore: folder %s is in tier %s and tier %s", dir.Path, other, tier.Alias)
			}
			paths[clean] = tier.Alias
		}
	}
	return nil
}

func (t *TierConfig) validate() error {
	if t.Alias == "" {
		return errors.New("no alias")
	}
	if t.HighWatermark == 0 {
		t.HighWatermark = DefaultHighWatermark
	}
	if t.LowWatermark == 0 {
		t.LowWatermark = DefaultLowWatermark
	}
	if !(t.LowWatermark > 0 && t.LowWatermark < t.HighWatermark && t.HighWatermark <= 1) {
		return fmt.Errorf("watermarks low %v and high %v: want 0 < low < high <= 1", t.LowWatermark, t.HighWatermark)
	}
	if len(t.Dirs) == 0 {
		return errors.New("no folders")
	}
	for i := range t.Dirs {
		dir := &t.Dirs[i]
		if dir.Path == "" {
			return fmt.Errorf("folder %d has no path", i)
		}
		if dir.Quota <= 0 {
			return fmt.Errorf("folder %s: quota %d: want a positive number of bytes", dir.Path, dir.Quota)
		}
		if dir.Medium == "" {
			dir.Medium = t.Alias
		}
	}
	return nil
}
