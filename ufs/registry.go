package ufs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Opener opens the store rooted at root. options carries adapter settings
// (credentials, endpoints) taken from mount options or site properties; an
// adapter ignores keys it does not know, since one map may serve several.
type Opener func(ctx context.Context, root URI, options map[string]string) (Store, error)

// Registry maps URI schemes to the adapters that open them. It is a value
// rather than a package-level table filled by init functions so that the
// set of adapters a binary has is decided in one visible place (package
// ufs/adapters builds the standard one) and tests can register fakes without
// touching state that other tests share.
type Registry struct {
	mu      sync.RWMutex
	openers map[string]Opener
}

// NewRegistry returns a registry with no adapters.
func NewRegistry() *Registry {
	return &Registry{openers: make(map[string]Opener)}
}

// plannedSchemes names the adapter each scheme will need, so that opening
// one that is not registered explains what is missing.
var plannedSchemes = map[string]string{
	"file": "local",
	"s3":   "S3",
	"s3a":  "S3",
	"hdfs": "HDFS",
}

// Register makes open handle URIs with the given scheme (case-insensitive).
// Registering is part of wiring a program together, so a malformed scheme,
// a nil opener or a scheme registered twice is a programming error and
// panics.
func (r *Registry) Register(scheme string, open Opener) {
	if !validScheme(scheme) {
		panic(fmt.Sprintf("ufs: Register: invalid scheme %q", scheme))
	}
	if open == nil {
		panic(fmt.Sprintf("ufs: Register: nil opener for scheme %q", scheme))
	}
	scheme = strings.ToLower(scheme)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.openers[scheme]; dup {
		panic(fmt.Sprintf("ufs: Register: scheme %q registered twice", scheme))
	}
	r.openers[scheme] = open
}

// Schemes returns the registered schemes, sorted.
func (r *Registry) Schemes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	schemes := make([]string, 0, len(r.openers))
	for s := range r.openers {
		schemes = append(schemes, s)
	}
	slices.Sort(schemes)
	return schemes
}

// Open opens the store rooted at uri with the adapter registered for its
// scheme. A plain absolute path is a file URI. A scheme with no adapter
// fails with ErrUnsupported, naming the scheme.
func (r *Registry) Open(ctx context.Context, uri string, options map[string]string) (Store, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	r.mu.RLock()
	open := r.openers[u.Scheme]
	r.mu.RUnlock()
	if open == nil {
		if adapter, planned := plannedSchemes[u.Scheme]; planned {
			return nil, fmt.Errorf("ufs: open %s: scheme %q needs the %s adapter, which is not registered: %w",
				uri, u.Scheme, adapter, ErrUnsupported)
		}
		return nil, fmt.Errorf("ufs: open %s: unknown scheme %q (registered: %s): %w",
			uri, u.Scheme, strings.Join(r.Schemes(), ", "), ErrUnsupported)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return open(ctx, u, options)
}
