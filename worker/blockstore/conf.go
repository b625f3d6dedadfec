package blockstore

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/halo-fs/halo/conf"
)

// levelKeys names each tier level's properties. Alluxio defines three
// levels (MEM, SSD, HDD), so alluxio.worker.tieredstore.levels is at most
// three.
var levelKeys = []struct {
	alias, paths, quotas, media, high, low string
}{
	{"alluxio.worker.tieredstore.level0.alias", "alluxio.worker.tieredstore.level0.dirs.path",
		"alluxio.worker.tieredstore.level0.dirs.quota", "alluxio.worker.tieredstore.level0.dirs.mediumtype",
		"alluxio.worker.tieredstore.level0.watermark.high.ratio", "alluxio.worker.tieredstore.level0.watermark.low.ratio"},
	{"alluxio.worker.tieredstore.level1.alias", "alluxio.worker.tieredstore.level1.dirs.path",
		"alluxio.worker.tieredstore.level1.dirs.quota", "alluxio.worker.tieredstore.level1.dirs.mediumtype",
		"alluxio.worker.tieredstore.level1.watermark.high.ratio", "alluxio.worker.tieredstore.level1.watermark.low.ratio"},
	{"alluxio.worker.tieredstore.level2.alias", "alluxio.worker.tieredstore.level2.dirs.path",
		"alluxio.worker.tieredstore.level2.dirs.quota", "alluxio.worker.tieredstore.level2.dirs.mediumtype",
		"alluxio.worker.tieredstore.level2.watermark.high.ratio", "alluxio.worker.tieredstore.level2.watermark.low.ratio"},
}

const (
	keyLevels           = "alluxio.worker.tieredstore.levels"
	keyAnnotator        = "alluxio.worker.block.annotator.class"
	keyLRFUStep         = "alluxio.worker.block.annotator.lrfu.step.factor"
	keyLRFUAttenuation  = "alluxio.worker.block.annotator.lrfu.attenuation.factor"
	keyVerifyOnOpen     = "halo.worker.tieredstore.verify.on.open"
	alluxioAnnotatorPkg = "alluxio.worker.block.annotator."
)

// ConfigFrom builds the store's configuration from a worker's resolved
// properties: alluxio.worker.tieredstore.levels and, for each level, its
// alias, dirs.path and dirs.quota (comma lists; a folder without its own
// quota takes the last one given), dirs.mediumtype and watermark ratios;
// level0's quota defaults to alluxio.worker.ramdisk.size.
// alluxio.worker.block.annotator.class takes Alluxio's class names or
// LRU/LRFU; halo.worker.tieredstore.verify.on.open=false sets
// SkipDataCheckOnOpen. A bad value is an error naming the key.
func ConfigFrom(c *conf.Config) (Config, error) {
	p := c.Properties
	levels, err := strconv.Atoi(strings.TrimSpace(p[keyLevels]))
	if err != nil || levels < 1 || levels > len(levelKeys) {
		return Config{}, fmt.Errorf("%s=%q: want 1 to %d", keyLevels, p[keyLevels], len(levelKeys))
	}
	var cfg Config
	for level := range levels {
		tier, err := tierFrom(p, level)
		if err != nil {
			return Config{}, err
		}
		cfg.Tiers = append(cfg.Tiers, tier)
	}
	if cfg.Annotator, err = annotatorFrom(p[keyAnnotator]); err != nil {
		return Config{}, err
	}
	if cfg.LRFUStepFactor, err = ratioFrom(p, keyLRFUStep); err != nil {
		return Config{}, err
	}
	if cfg.LRFUAttenuationFactor, err = ratioFrom(p, keyLRFUAttenuation); err != nil {
		return Config{}, err
	}
	verify, err := conf.ParseBool(p[keyVerifyOnOpen])
	if err != nil {
		return Config{}, fmt.Errorf("%s=%q: %w", keyVerifyOnOpen, p[keyVerifyOnOpen], err)
	}
	cfg.SkipDataCheckOnOpen = !verify
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func tierFrom(p map[string]string, level int) (TierConfig, error) {
	keys := levelKeys[level]
	alias := strings.ToUpper(strings.TrimSpace(p[keys.alias]))
	if alias != TierMEM && alias != TierSSD && alias != TierHDD {
		return TierConfig{}, fmt.Errorf("%s=%q: want MEM, SSD or HDD", keys.alias, p[keys.alias])
	}
	paths := splitList(p[keys.paths])
	if len(paths) == 0 {
		return TierConfig{}, fmt.Errorf("%s is not set: tier %s needs at least one folder", keys.paths, alias)
	}
	quotas := splitList(p[keys.quotas])
	if len(quotas) == 0 {
		return TierConfig{}, fmt.Errorf("%s is not set: tier %s needs a capacity", keys.quotas, alias)
	}
	media := splitList(p[keys.media])
	tier := TierConfig{Alias: alias}
	for i, path := range paths {
		quotaText := quotas[min(i, len(quotas)-1)]
		quota, err := conf.ParseSize(quotaText)
		if err != nil || quota == 0 || quota > math.MaxInt64 {
			return TierConfig{}, fmt.Errorf("%s=%q: %q is not a positive size", keys.quotas, p[keys.quotas], quotaText)
		}
		dir := DirConfig{Path: path, Quota: int64(quota)}
		if len(media) > 0 {
			dir.Medium = strings.ToUpper(media[min(i, len(media)-1)])
		}
		tier.Dirs = append(tier.Dirs, dir)
	}
	var err error
	if tier.HighWatermark, err = ratioFrom(p, keys.high); err != nil {
		return TierConfig{}, err
	}
	if tier.LowWatermark, err = ratioFrom(p, keys.low); err != nil {
		return TierConfig{}, err
	}
	if tier.HighWatermark > 1 || tier.LowWatermark >= tier.HighWatermark {
		return TierConfig{}, fmt.Errorf("%s=%v and %s=%v: want 0 < low < high <= 1",
			keys.low, tier.LowWatermark, keys.high, tier.HighWatermark)
	}
	return tier, nil
}

// ratioFrom parses a positive number; unset gives zero, which Validate
// turns into the default.
func ratioFrom(p map[string]string, key string) (float64, error) {
	text := strings.TrimSpace(p[key])
	if text == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s=%q: want a positive number", key, p[key])
	}
	return v, nil
}

func annotatorFrom(text string) (Annotator, error) {
	name := strings.TrimSpace(text)
	name = strings.TrimPrefix(name, alluxioAnnotatorPkg)
	name = strings.TrimSuffix(name, "Annotator")
	switch Annotator(strings.ToUpper(name)) {
	case "", LRU:
		return LRU, nil
	case LRFU:
		return LRFU, nil
	}
	return "", fmt.Errorf("%s=%q: want %sLRUAnnotator or %sLRFUAnnotator", keyAnnotator, text, alluxioAnnotatorPkg, alluxioAnnotatorPkg)
}

func splitList(text string) []string {
	var out []string
	for _, item := range strings.Split(text, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
