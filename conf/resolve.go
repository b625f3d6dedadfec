package conf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Limits that keep a hostile or mistaken properties file from making Load
// run for ever: "a=${b}${b}", "b=${c}${c}", … doubles at every level.
const (
	maxExpandedLength = 64 << 10
	maxReferenceDepth = 32
)

// setting is one value given by the site file or the command line.
type setting struct {
	value  string
	source Source
	origin string // the file path, "-D" or "--ha", for warnings
}

// resolver turns settings and defaults into final text values, expanding
// ${key} and ${ENV} references. It resolves keys lazily and remembers the
// results, so every key is expanded once whatever the reference graph.
//
// Halo does its own expansion instead of magiconair/properties': defaults
// must take part (alluxio.work.dir defaults to ${alluxio.home}), the
// environment must be injectable for tests, and the library's expansion
// calls a process-wide error handler and has no bound on output size.
type resolver struct {
	settings    map[string]setting
	specs       map[string]*keySpec
	env         func(string) string
	hostname    func() (string, error)
	currentUser func() (string, error)
	confDir     string
	releaseHome string // "" when the binary runs from no extracted release
	masters     []string

	resolved map[string]string
	failed   map[string]error
	active   []string // keys being resolved, innermost last
}

// has reports whether name is a property, as opposed to an environment
// variable, in a ${name} reference.
func (r *resolver) has(name string) bool {
	if _, set := r.settings[name]; set {
		return true
	}
	_, known := r.specs[name]
	return known
}

// get returns key's final value: its setting if any, else its default.
func (r *resolver) get(key string) (string, error) {
	if value, done := r.resolved[key]; done {
		return value, nil
	}
	if err, done := r.failed[key]; done {
		return "", err
	}
	if i := slices.Index(r.active, key); i >= 0 {
		cycle := append(slices.Clone(r.active[i:]), key)
		return "", &KeyError{Key: key, Value: r.rawValue(key),
			Err: fmt.Errorf("circular reference %s", strings.Join(cycle, " -> "))}
	}
	if len(r.active) >= maxReferenceDepth {
		return "", &KeyError{Key: key, Value: r.rawValue(key),
			Err: fmt.Errorf("references nest deeper than %d", maxReferenceDepth)}
	}
	r.active = append(r.active, key)
	value, err := r.compute(key)
	r.active = r.active[:len(r.active)-1]
	if err != nil {
		r.failed[key] = err
		return "", err
	}
	r.resolved[key] = value
	return value, nil
}

func (r *resolver) compute(key string) (string, error) {
	if s, set := r.settings[key]; set {
		return r.expand(key, s.value)
	}
	spec, known := r.specs[key]
	switch {
	case !known:
		return "", nil
	case spec.dynamicDefault != nil:
		return spec.dynamicDefault(r)
	default:
		return r.expand(key, spec.def)
	}
}

// rawValue is key's text before expansion, for error messages.
func (r *resolver) rawValue(key string) string {
	if s, set := r.settings[key]; set {
		return s.value
	}
	if spec, known := r.specs[key]; known {
		return spec.def
	}
	return ""
}

// expand replaces each ${name} in text, which is key's value, by the
// property name or else the environment variable name.
func (r *resolver) expand(key, text string) (string, error) {
	if !strings.Contains(text, "${") {
		return text, nil
	}
	var expanded strings.Builder
	rest := text
	for {
		start := strings.Index(rest, "${")
		if start < 0 {
			expanded.WriteString(rest)
			break
		}
		expanded.WriteString(rest[:start])
		length := strings.IndexByte(rest[start+2:], '}')
		if length < 0 {
			return "", &KeyError{Key: key, Value: text, Err: errors.New(`"${" without a closing "}"`)}
		}
		name := rest[start+2 : start+2+length]
		rest = rest[start+2+length+1:]
		value, err := r.lookup(key, text, name)
		if err != nil {
			return "", err
		}
		if expanded.Len()+len(value)+len(rest) > maxExpandedLength {
			return "", &KeyError{Key: key, Value: text,
				Err: fmt.Errorf("expands to more than %d bytes", maxExpandedLength)}
		}
		expanded.WriteString(value)
	}
	return expanded.String(), nil
}

func (r *resolver) lookup(key, text, name string) (string, error) {
	if name == "" {
		return "", &KeyError{Key: key, Value: text, Err: errors.New("empty reference ${}")}
	}
	if r.has(name) {
		return r.get(name)
	}
	if value := r.env(name); value != "" {
		return value, nil
	}
	return "", &KeyError{Key: key, Value: text,
		Err: fmt.Errorf("${%s} is neither a property nor a set environment variable", name)}
}

// defaultHome follows bin/alluxio: $ALLUXIO_HOME, else the release the
// binary runs from, else /opt/alluxio.
func defaultHome(r *resolver) (string, error) {
	if home := r.env("ALLUXIO_HOME"); home != "" {
		return home, nil
	}
	if r.releaseHome != "" {
		return r.releaseHome, nil
	}
	return "/opt/alluxio", nil
}

// defaultJournalType: a deployment that enables ZooKeeper shares a UFS
// journal, as the guide's ZooKeeper section writes it without naming a
// journal type; otherwise the masters replicate it themselves.
func defaultJournalType(r *resolver) (string, error) {
	zk, err := r.get(KeyZooKeeperEnabled)
	if err != nil {
		return "", err
	}
	// A bad value is reported by the ZooKeeper key itself.
	if enabled, err := ParseBool(zk); err == nil && enabled {
		return string(JournalUFS), nil
	}
	return string(JournalEmbedded), nil
}

func defaultLoginUser(r *resolver) (string, error) {
	user, err := r.currentUser()
	if err != nil || user == "" {
		return "", &KeyError{Key: KeyLoginUsername, Err: fmt.Errorf("not set, and the OS user is unknown: %v", err)}
	}
	return user, nil
}

// defaultHostname picks this master's name when alluxio.master.hostname is
// not set. With no master listed anywhere it is the single-master
// "localhost" of Alluxio's template; with one, that one; with several, the
// listed name that matches this machine, else this machine's own name (a
// client or a worker host reading the same conf dir).
func defaultHostname(r *resolver) (string, error) {
	var candidates []string
	addCandidate := func(host string) {
		if !slices.Contains(candidates, host) {
			candidates = append(candidates, host)
		}
	}
	for _, key := range []string{KeyEmbeddedJournalAddresses, KeyMasterRPCAddresses} {
		if strings.Contains(r.rawValue(key), "${"+KeyMasterHostname+"}") {
			// "${alluxio.master.hostname}:19200" names no other master, and
			// following it would be a circular reference.
			continue
		}
		value, err := r.get(key)
		if err != nil {
			return "", err
		}
		// A malformed list is reported when the key itself is parsed.
		addresses, _ := ParseAddresses(value, 1)
		for _, address := range addresses {
			addCandidate(hostOf(address))
		}
	}
	for _, host := range r.masters {
		addCandidate(host)
	}
	switch len(candidates) {
	case 0:
		return "localhost", nil
	case 1:
		return candidates[0], nil
	}
	local, err := r.hostname()
	if err != nil || local == "" {
		return "", &KeyError{Key: KeyMasterHostname,
			Err: fmt.Errorf("not set, several masters are listed (%s), and this machine's host name is unknown: %v",
				strings.Join(candidates, ", "), err)}
	}
	if match, ok := matchHost(local, candidates); ok {
		return match, nil
	}
	return local, nil
}

// matchHost finds local among candidates, comparing full names first and
// then the first label, so "m1" in the masters file matches a machine that
// calls itself "m1.example.com" and the other way round.
func matchHost(local string, candidates []string) (string, bool) {
	for _, candidate := range candidates {
		if strings.EqualFold(candidate, local) {
			return candidate, true
		}
	}
	shortLocal, _, _ := strings.Cut(local, ".")
	for _, candidate := range candidates {
		if strings.Contains(candidate, ":") || isIPv4(candidate) {
			continue
		}
		shortCandidate, _, _ := strings.Cut(candidate, ".")
		if strings.EqualFold(shortCandidate, shortLocal) {
			return candidate, true
		}
	}
	return "", false
}

func isIPv4(host string) bool {
	for _, r := range host {
		if r != '.' && (r < '0' || r > '9') {
			return false
		}
	}
	return host != ""
}

// defaultWorkerHostname is this machine's name, as Alluxio's worker
// advertises itself when alluxio.worker.hostname is unset; localhost when
// the name is unknown, since a master's configuration, which never starts
// a worker, must still load.
func defaultWorkerHostname(r *resolver) (string, error) {
	local, err := r.hostname()
	if err != nil || local == "" {
		return "localhost", nil
	}
	return local, nil
}
