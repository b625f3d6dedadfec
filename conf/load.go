package conf

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/magiconair/properties"
)

// File names inside the conf directory, as Alluxio names them.
const (
	SiteFileName    = "alluxio-site.properties"
	MastersFileName = "masters"
	WorkersFileName = "workers"
	// SiteTemplateFileName is the commented site file a release ships,
	// which the guide copies to alluxio-site.properties.
	SiteTemplateFileName = "alluxio-site.properties.template"
)

// LoadOptions says where the configuration comes from. The zero value
// reads $ALLUXIO_CONF_DIR (else the release's conf/, else ./conf) with the real environment.
type LoadOptions struct {
	// ConfDir holds alluxio-site.properties, masters and workers. Empty
	// means $ALLUXIO_CONF_DIR, else the conf/ of the release the binary runs from, else ./conf. A missing directory or file
	// means defaults.
	ConfDir string
	// Overrides are -D key=value pairs; they win over the site file.
	Overrides map[string]string
	// HA is the --ha flag: "", "none", "raft" or "zookeeper". It wins over
	// the overrides.
	HA string
	// Env looks up environment variables for ${NAME} and ALLUXIO_HOME;
	// os.Getenv when nil.
	Env func(string) string
	// Hostname names this machine; os.Hostname when nil.
	Hostname func() (string, error)
	// CurrentUser names the OS user; the current user when nil.
	CurrentUser func() (string, error)
	// Executable names the running binary, whose place in an extracted
	// release gives alluxio.home and the conf folder their defaults;
	// os.Executable when nil.
	Executable func() (string, error)
}

// confFiles is the raw content of a conf directory; nil means absent.
type confFiles struct {
	sitePath string
	site     []byte
	masters  []byte
	workers  []byte
}

// Load reads the conf directory, applies the overrides and the --ha
// shortcut, and returns a validated configuration. Every bad value is
// reported, each naming its key.
func Load(opts LoadOptions) (*Config, error) {
	opts = opts.withDefaults()
	dir := opts.ConfDir
	if dir == "" {
		dir = opts.Env("ALLUXIO_CONF_DIR")
	}
	if release := releaseHome(opts.Executable); dir == "" && release != "" {
		dir = filepath.Join(release, "conf")
	}
	if dir == "" {
		dir = "conf"
	}
	files, err := readConfDir(dir)
	if err != nil {
		return nil, err
	}
	return build(dir, files, opts)
}

// Default returns the configuration of a conf directory that has no files,
// with no overrides and an empty environment: a single master on localhost
// with an embedded journal under /opt/alluxio. It is meant for tests and
// tools that need a valid starting point to edit.
func Default() *Config {
	opts := LoadOptions{
		Env:         func(string) string { return "" },
		Hostname:    func() (string, error) { return "localhost", nil },
		CurrentUser: currentUser,
		Executable:  func() (string, error) { return "", nil },
	}
	c, err := build("", confFiles{}, opts)
	if err != nil {
		panic("conf: the built-in defaults do not validate: " + err.Error())
	}
	return c
}

func (opts LoadOptions) withDefaults() LoadOptions {
	if opts.Env == nil {
		opts.Env = os.Getenv
	}
	if opts.Hostname == nil {
		opts.Hostname = os.Hostname
	}
	if opts.CurrentUser == nil {
		opts.CurrentUser = currentUser
	}
	if opts.Executable == nil {
		opts.Executable = os.Executable
	}
	return opts
}

// releaseHome is the extracted release the binary runs from, as Alluxio's
// scripts find ALLUXIO_HOME from their own place: the folder whose bin/
// holds the binary and whose conf/ holds the site file or its template.
// It is "" for a binary run from anywhere else, such as a checkout, whose
// conf/ is a Go package.
func releaseHome(executable func() (string, error)) string {
	if executable == nil {
		return ""
	}
	binary, err := executable()
	if err != nil || binary == "" {
		return ""
	}
	if resolved, err := filepath.EvalSymlinks(binary); err == nil {
		binary = resolved
	}
	bin := filepath.Dir(binary)
	if filepath.Base(bin) != "bin" {
		return ""
	}
	home := filepath.Dir(bin)
	for _, name := range []string{SiteFileName, SiteTemplateFileName} {
		if _, err := os.Stat(filepath.Join(home, "conf", name)); err == nil {
			return home
		}
	}
	return ""
}

// currentUser falls back to the numeric uid, as `id` does, because a
// container may run under a uid that /etc/passwd does not name.
func currentUser() (string, error) {
	u, err := user.Current()
	if err != nil {
		return strconv.Itoa(os.Getuid()), nil
	}
	return u.Username, nil
}

// ParseOverride splits a -D argument "key=value". The value may be empty
// and may itself contain "=".
func ParseOverride(s string) (key, value string, err error) {
	key, value, found := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !found || key == "" {
		return "", "", fmt.Errorf("-D %q: want key=value", s)
	}
	if strings.ContainsFunc(key, isSpaceOrControl) {
		return "", "", fmt.Errorf("-D %q: key %q contains white space", s, key)
	}
	return key, strings.TrimSpace(value), nil
}

// ParseHA reads the --ha flag. The empty string means "derive the mode
// from the journal properties" and is returned as "".
func ParseHA(s string) (HAMode, error) {
	switch mode := HAMode(strings.ToLower(strings.TrimSpace(s))); mode {
	case "", HANone, HARaft, HAZooKeeper:
		return mode, nil
	}
	return "", &KeyError{Key: "--ha", Value: s, Err: errors.New("want none, raft or zookeeper")}
}

func readConfDir(dir string) (confFiles, error) {
	files := confFiles{sitePath: filepath.Join(dir, SiteFileName)}
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return files, nil
	}
	if err != nil {
		return files, fmt.Errorf("conf dir %s: %w", dir, err)
	}
	if !info.IsDir() {
		return files, fmt.Errorf("conf dir %s is not a directory", dir)
	}
	for _, f := range []struct {
		name    string
		content *[]byte
	}{
		{SiteFileName, &files.site},
		{MastersFileName, &files.masters},
		{WorkersFileName, &files.workers},
	} {
		data, err := os.ReadFile(filepath.Join(dir, f.name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return files, err
		}
		*f.content = data
	}
	return files, nil
}

// build does all of Load after the files are read, so the fuzz target can
// drive it with arbitrary file contents.
func build(dir string, files confFiles, opts LoadOptions) (*Config, error) {
	ha, err := ParseHA(opts.HA)
	if err != nil {
		return nil, err
	}
	site, err := parseSite(files)
	if err != nil {
		return nil, err
	}
	masters, err := parseHostList(filepath.Join(dir, MastersFileName), files.masters)
	if err != nil {
		return nil, err
	}
	workers, err := parseHostList(filepath.Join(dir, WorkersFileName), files.workers)
	if err != nil {
		return nil, err
	}

	settings := layerSettings(files.sitePath, site, opts.Overrides, ha)
	r := &resolver{
		settings:    settings,
		specs:       keyIndex,
		env:         opts.Env,
		hostname:    opts.Hostname,
		currentUser: opts.CurrentUser,
		confDir:     dir,
		releaseHome: releaseHome(opts.Executable),
		masters:     masters,
		resolved:    make(map[string]string),
		failed:      make(map[string]error),
	}
	var problems []error
	reported := make(map[string]bool)
	report := func(err error) {
		// A key that fails also fails every key referring to it; say it once.
		if !reported[err.Error()] {
			reported[err.Error()] = true
			problems = append(problems, err)
		}
	}
	for _, key := range allKeys(settings) {
		if _, err := r.get(key); err != nil {
			report(err)
		}
	}

	c := &Config{ConfDir: dir, Masters: masters, Workers: workers}
	// Address lists take their default port from the port keys, so every
	// other kind is assigned first.
	for _, addressPass := range []bool{false, true} {
		for i := range knownKeyTable {
			spec := &knownKeyTable[i]
			value, resolved := r.resolved[spec.name]
			if !resolved || (spec.kind == kindAddresses) != addressPass {
				continue
			}
			if err := assign(c, spec, value); err != nil {
				report(err)
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}

	c.HA = deriveHA(c.JournalType, c.ZooKeeperEnabled)
	deriveAddresses(c, r.resolved)
	c.Properties = r.resolved
	c.sources = make(map[string]Source, len(settings))
	for key, s := range settings {
		c.sources[key] = s.source
	}
	c.Warnings = append(unknownKeyWarnings(settings), inertKeyWarnings(settings)...)
	c.Warnings = append(c.Warnings, doubtfulSettingWarnings(c)...)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// layerSettings stacks the sources from lowest to highest precedence: the
// site file, the -D overrides, the --ha shortcut.
func layerSettings(sitePath string, site, overrides map[string]string, ha HAMode) map[string]setting {
	settings := make(map[string]setting, len(site)+len(overrides))
	for key, value := range site {
		settings[key] = setting{value: value, source: SourceSiteProperty, origin: sitePath}
	}
	for key, value := range overrides {
		settings[key] = setting{value: strings.TrimSpace(value), source: SourceCLI, origin: "-D"}
	}
	for key, value := range haShortcut(ha) {
		settings[key] = setting{value: value, source: SourceCLI, origin: "--ha=" + string(ha)}
	}
	return settings
}

// parseSite reads alluxio-site.properties with expansion left to the
// resolver. Values are trimmed: Alluxio trims them, and a trailing blank
// after "UFS " would otherwise be a puzzling bad value.
func parseSite(files confFiles) (map[string]string, error) {
	if files.site == nil {
		return nil, nil
	}
	loader := properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := loader.LoadBytes(files.site)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", files.sitePath, err)
	}
	site := make(map[string]string, p.Len())
	for _, key := range p.Keys() {
		value, _ := p.Get(key)
		site[strings.TrimSpace(key)] = strings.TrimSpace(value)
	}
	delete(site, "")
	return site, nil
}

// parseHostList reads a masters or workers file: one host a line, "#"
// starts a comment, blank lines are skipped — what the scripts' sed does.
func parseHostList(path string, data []byte) ([]string, error) {
	var hosts []string
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := checkHost(line); err != nil {
			return nil, fmt.Errorf("%s:%d: %w (want one host a line)", path, i+1, err)
		}
		if !slices.Contains(hosts, line) {
			hosts = append(hosts, line)
		}
	}
	return hosts, nil
}

// haShortcut is the set of properties each --ha value stands for.
func haShortcut(mode HAMode) map[string]string {
	switch mode {
	case HANone:
		return map[string]string{KeyJournalType: string(JournalUFS), KeyZooKeeperEnabled: "false"}
	case HARaft:
		return map[string]string{KeyJournalType: string(JournalEmbedded), KeyZooKeeperEnabled: "false"}
	case HAZooKeeper:
		return map[string]string{KeyJournalType: string(JournalUFS), KeyZooKeeperEnabled: "true"}
	}
	return nil
}

// deriveAddresses fills the address lists left empty and records the
// result in the properties, so getConf shows what the master will use.
func deriveAddresses(c *Config, properties map[string]string) {
	atPort := func(hosts []string, port int) []string {
		addresses := make([]string, len(hosts))
		for i, host := range hosts {
			addresses[i] = joinHostPort(host, port)
		}
		return addresses
	}
	if c.HA == HARaft && len(c.EmbeddedJournalAddresses) == 0 {
		if len(c.Masters) > 0 {
			c.EmbeddedJournalAddresses = atPort(c.Masters, c.EmbeddedJournalPort)
		} else {
			c.EmbeddedJournalAddresses = []string{c.EmbeddedJournalAddress()}
		}
		properties[KeyEmbeddedJournalAddresses] = strings.Join(c.EmbeddedJournalAddresses, ",")
	}
	if len(c.RPCAddresses) == 0 {
		switch {
		case len(c.EmbeddedJournalAddresses) > 0:
			hosts := make([]string, len(c.EmbeddedJournalAddresses))
			for i, address := range c.EmbeddedJournalAddresses {
				hosts[i] = hostOf(address)
			}
			c.RPCAddresses = atPort(hosts, c.RPCPort)
		case len(c.Masters) > 0:
			c.RPCAddresses = atPort(c.Masters, c.RPCPort)
		default:
			c.RPCAddresses = []string{c.RPCAddress()}
		}
		properties[KeyMasterRPCAddresses] = strings.Join(c.RPCAddresses, ",")
	}
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// allKeys lists the known keys and the set ones, sorted, so errors come
// out in a stable order.
func allKeys(settings map[string]setting) []string {
	keys := make([]string, 0, len(keyIndex)+len(settings))
	for key := range keyIndex {
		keys = append(keys, key)
	}
	for key := range settings {
		if _, known := keyIndex[key]; !known {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

func isSpaceOrControl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}
