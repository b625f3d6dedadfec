package blockstore

import (
	"reflect"
	"strings"
	"testing"

	"github.com/halo-fs/halo/conf"
)

func loadConf(t *testing.T, overrides map[string]string) *conf.Config {
	t.Helper()
	c, err := conf.Load(conf.LoadOptions{
		ConfDir:     t.TempDir(),
		Overrides:   overrides,
		Env:         func(string) string { return "" },
		Hostname:    func() (string, error) { return "localhost", nil },
		CurrentUser: func() (string, error) { return "halo", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigFromDefaultsAreAlluxios(t *testing.T) {
	cfg, err := ConfigFrom(loadConf(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Tiers: []TierConfig{{Alias: TierMEM, HighWatermark: 0.95, LowWatermark: 0.7,
			Dirs: []DirConfig{{Path: "/mnt/ramdisk", Quota: 1 << 30, Medium: TierMEM}}}},
		Annotator: LRU, LRFUStepFactor: 0.25, LRFUAttenuationFactor: 2,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestConfigFromReadsThreeTiers(t *testing.T) {
	cfg, err := ConfigFrom(loadConf(t, map[string]string{
		"alluxio.worker.ramdisk.size":                           "64MB",
		"alluxio.worker.tieredstore.levels":                     "3",
		"alluxio.worker.tieredstore.level0.dirs.path":           "/dev/shm",
		"alluxio.worker.tieredstore.level1.alias":               "ssd",
		"alluxio.worker.tieredstore.level1.dirs.path":           "/ssd1, /ssd2,/ssd3",
		"alluxio.worker.tieredstore.level1.dirs.quota":          "10GB,20GB",
		"alluxio.worker.tieredstore.level1.watermark.low.ratio": "0.5",
		"alluxio.worker.tieredstore.level2.alias":               "HDD",
		"alluxio.worker.tieredstore.level2.dirs.path":           "/hdd",
		"alluxio.worker.tieredstore.level2.dirs.quota":          "1TB",
		"alluxio.worker.tieredstore.level2.dirs.mediumtype":     "SSD",
		"alluxio.worker.block.annotator.class":                  "alluxio.worker.block.annotator.LRFUAnnotator",
		"halo.worker.tieredstore.verify.on.open":                "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []TierConfig{
		{Alias: TierMEM, HighWatermark: 0.95, LowWatermark: 0.7, Dirs: []DirConfig{{"/dev/shm", 64 << 20, TierMEM}}},
		{Alias: TierSSD, HighWatermark: 0.95, LowWatermark: 0.5, Dirs: []DirConfig{
			{"/ssd1", 10 << 30, TierSSD}, {"/ssd2", 20 << 30, TierSSD}, {"/ssd3", 20 << 30, TierSSD}}},
		{Alias: TierHDD, HighWatermark: 0.95, LowWatermark: 0.7, Dirs: []DirConfig{{"/hdd", 1 << 40, TierSSD}}},
	}
	if !reflect.DeepEqual(cfg.Tiers, want) {
		t.Errorf("tiers:\n got %+v\nwant %+v", cfg.Tiers, want)
	}
	if cfg.Annotator != LRFU || !cfg.SkipDataCheckOnOpen {
		t.Errorf("annotator %q and SkipDataCheckOnOpen %v, want LRFU and true", cfg.Annotator, cfg.SkipDataCheckOnOpen)
	}
}

func TestConfigFromNamesTheBadKey(t *testing.T) {
	for _, tc := range []struct {
		overrides map[string]string
		key       string
	}{
		{map[string]string{"alluxio.worker.tieredstore.levels": "4"}, "alluxio.worker.tieredstore.levels"},
		{map[string]string{"alluxio.worker.tieredstore.levels": "2"}, "alluxio.worker.tieredstore.level1.alias"},
		{map[string]string{"alluxio.worker.tieredstore.levels": "2", "alluxio.worker.tieredstore.level1.alias": "SSD"},
			"alluxio.worker.tieredstore.level1.dirs.path"},
		{map[string]string{"alluxio.worker.tieredstore.levels": "2", "alluxio.worker.tieredstore.level1.alias": "SSD",
			"alluxio.worker.tieredstore.level1.dirs.path": "/ssd"}, "alluxio.worker.tieredstore.level1.dirs.quota"},
		{map[string]string{"alluxio.worker.tieredstore.level0.alias": "TAPE"}, "alluxio.worker.tieredstore.level0.alias"},
		{map[string]string{"alluxio.worker.tieredstore.level0.dirs.quota": "lots"}, "alluxio.worker.tieredstore.level0.dirs.quota"},
		{map[string]string{"alluxio.worker.tieredstore.level0.dirs.quota": "0"}, "alluxio.worker.tieredstore.level0.dirs.quota"},
		{map[string]string{"alluxio.worker.tieredstore.level0.watermark.high.ratio": "1.5"}, "alluxio.worker.tieredstore.level0.watermark.high.ratio"},
		{map[string]string{"alluxio.worker.tieredstore.level0.watermark.low.ratio": "0.99"}, "alluxio.worker.tieredstore.level0.watermark.low.ratio"},
		{map[string]string{"alluxio.worker.tieredstore.level0.watermark.low.ratio": "NaN"}, "alluxio.worker.tieredstore.level0.watermark.low.ratio"},
		{map[string]string{"alluxio.worker.block.annotator.class": "alluxio.worker.block.annotator.RandomAnnotator"}, "alluxio.worker.block.annotator.class"},
		{map[string]string{"alluxio.worker.block.annotator.lrfu.step.factor": "-1"}, "alluxio.worker.block.annotator.lrfu.step.factor"},
	} {
		_, err := ConfigFrom(loadConf(t, tc.overrides))
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%v: got %v, want an error naming %s", tc.overrides, err, tc.key)
		}
	}
}
