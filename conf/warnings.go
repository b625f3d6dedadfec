package conf

import (
	"fmt"
	"sort"
	"strings"
)

// maxSuggestions bounds the edit-distance work spent on unknown keys; a
// file with hundreds of them is not a file of typos.
const maxSuggestions = 20

func unknownKeyWarnings(settings map[string]setting) []string {
	var unknown []string
	for key := range settings {
		if !IsKnownKey(key) {
			unknown = append(unknown, key)
		}
	}
	sort.Strings(unknown)
	warnings := make([]string, 0, len(unknown))
	for i, key := range unknown {
		warning := fmt.Sprintf("unknown property %s (from %s) is ignored", key, settings[key].origin)
		if i < maxSuggestions {
			if suggestion, ok := closestKnownKey(key); ok {
				warning += "; did you mean " + suggestion + "?"
			}
		}
		warnings = append(warnings, warning)
	}
	return warnings
}

// doubtfulSettingWarnings flags settings that are legal but probably not
// what the operator meant.
func doubtfulSettingWarnings(c *Config) []string {
	var warnings []string
	if c.HA == HAZooKeeper && len(c.Masters) > 1 && !strings.Contains(c.JournalFolder, "://") {
		warnings = append(warnings, fmt.Sprintf(
			"%s=%s is a local path, but ZooKeeper mode needs a journal folder every master can read (hdfs://, a shared mount)",
			KeyJournalFolder, c.JournalFolder))
	}
	if c.HA == HARaft && len(c.EmbeddedJournalAddresses) == 2 {
		warnings = append(warnings, fmt.Sprintf(
			"%s lists two masters: a two-member Raft quorum survives no failure; use three",
			KeyEmbeddedJournalAddresses))
	}
	if c.RetryCacheEnabled && c.RetryCacheRetention < c.ClientRetryMaxDuration {
		warnings = append(warnings, fmt.Sprintf(
			"%s=%s is shorter than %s=%s: a client retrying that long may see its mutation applied twice",
			KeyRetryCacheRetention, c.RetryCacheRetention, KeyClientRetryMaxDuration, c.ClientRetryMaxDuration))
	}
	return warnings
}

// closestKnownKey suggests a known key within a small edit distance.
func closestKnownKey(key string) (string, bool) {
	const maxDistance = 3
	best, bestDistance := "", maxDistance+1
	for name := range keyIndex {
		if abs(len(name)-len(key)) > maxDistance {
			continue
		}
		if d := editDistance(key, name); d < bestDistance || d == bestDistance && name < best {
			best, bestDistance = name, d
		}
	}
	return best, best != ""
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
