package s3

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/halo-fs/halo/conf"
)

// Option keys, named as Alluxio names them. The fs.s3a.* names of Hadoop's
// S3A connector are read too, after the Alluxio ones, so that a
// configuration written for either works.
const (
	KeyEndpoint          = "alluxio.underfs.s3.endpoint"
	KeyRegion            = "alluxio.underfs.s3.region"
	KeyEndpointRegion    = "alluxio.underfs.s3.endpoint.region"
	KeyDisableDNSBuckets = "alluxio.underfs.s3.disable.dns.buckets"
	KeySecureHTTP        = "alluxio.underfs.s3.secure.http.enabled"
	KeyPartSize          = "alluxio.underfs.s3.streaming.upload.partition.size"
	KeySocketTimeout     = "alluxio.underfs.s3.socket.timeout"
	KeyMaxErrorRetry     = "alluxio.underfs.s3.max.error.retry"
	KeyAccessKey         = "aws.accessKeyId"
	KeySecretKey         = "aws.secretKey"
)

// minPartSize is S3's smallest part but the last; maxParts its most parts.
const (
	minPartSize = 5 << 20
	maxPartSize = 5 << 30
	maxParts    = 10000
	// maxCopySize is the largest object a single CopyObject may copy.
	maxCopySize = 5 << 30
)

// Config says how to reach an S3 endpoint. DefaultConfig gives the defaults
// and ConfigFromOptions reads a UFS option map over them.
type Config struct {
	// Endpoint is host[:port], without a scheme. Empty means AWS
	// (s3.amazonaws.com).
	Endpoint string
	// Secure selects HTTPS.
	Secure bool
	// Region is the bucket's region; empty lets the client ask the server.
	Region string
	// PathStyle addresses buckets as endpoint/bucket rather than
	// bucket.endpoint (alluxio.underfs.s3.disable.dns.buckets), as MinIO and
	// most S3-compatible stores need.
	PathStyle bool
	// AccessKey and SecretKey are the credentials; both empty means
	// anonymous requests. SessionToken goes with temporary credentials.
	AccessKey, SecretKey, SessionToken string
	// PartSize is how much a writer buffers before it uploads a part. A
	// writer holds at most two parts in memory (one filling, one
	// uploading), and an object can have at most 10,000 parts, so this
	// bounds both memory per writer and the largest object.
	PartSize int64
	// ConnectTimeout bounds dialing the endpoint, so that an unreachable one
	// fails quickly.
	ConnectTimeout time.Duration
	// ResponseTimeout bounds the wait for a response's headers after a
	// request was sent.
	ResponseTimeout time.Duration
	// MaxRetries is how many times a request that failed on the network or
	// with a 5xx status is tried in all.
	MaxRetries int
	// ProbeTimeout bounds the bucket check that Open makes, so that wrong
	// credentials, an unreachable endpoint or a missing bucket are reported
	// at once and clearly rather than at the first write.
	ProbeTimeout time.Duration
}

// DefaultConfig returns the defaults: AWS over HTTPS, 16 MiB parts, a 3 s
// connect timeout, 3 tries per request.
func DefaultConfig() Config {
	return Config{
		Secure:          true,
		PartSize:        16 << 20,
		ConnectTimeout:  3 * time.Second,
		ResponseTimeout: 60 * time.Second,
		MaxRetries:      3,
		ProbeTimeout:    10 * time.Second,
	}
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.PartSize < minPartSize || c.PartSize > maxPartSize:
		return fmt.Errorf("s3: part size %d is outside S3's range 5 MiB-5 GiB", c.PartSize)
	case c.ConnectTimeout <= 0 || c.ResponseTimeout <= 0 || c.ProbeTimeout <= 0:
		return fmt.Errorf("s3: timeouts must be positive")
	case c.MaxRetries < 1:
		return fmt.Errorf("s3: max retries must be at least 1")
	case (c.AccessKey == "") != (c.SecretKey == ""):
		return fmt.Errorf("s3: an access key needs a secret key and the other way round")
	case strings.Contains(c.Endpoint, "/"):
		return fmt.Errorf("s3: endpoint %q: want host[:port] without a path", c.Endpoint)
	}
	return nil
}

// ConfigFromOptions reads the S3 options from a UFS option map over
// DefaultConfig. Credentials come from aws.accessKeyId and aws.secretKey,
// else fs.s3a.access.key and fs.s3a.secret.key, else the environment
// variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
//
// The endpoint may carry a scheme ("http://127.0.0.1:9000"), which decides
// HTTPS; without one, alluxio.underfs.s3.secure.http.enabled decides, and it
// defaults to false for an explicit endpoint, as in Alluxio, and to true for
// AWS.
func ConfigFromOptions(options map[string]string) (Config, error) {
	c := DefaultConfig()
	get := func(keys ...string) (string, string) {
		for _, k := range keys {
			if v, ok := options[k]; ok && strings.TrimSpace(v) != "" {
				return k, strings.TrimSpace(v)
			}
		}
		return "", ""
	}
	bad := func(key, value string, err error) error {
		return fmt.Errorf("s3: option %s=%q: %v", key, value, err)
	}

	secureSet := false
	if k, v := get(KeySecureHTTP, "fs.s3a.connection.ssl.enabled"); k != "" {
		b, err := conf.ParseBool(v)
		if err != nil {
			return c, bad(k, v, err)
		}
		c.Secure, secureSet = b, true
	}
	if k, v := get(KeyEndpoint, "fs.s3a.endpoint"); k != "" {
		host, secure, hasScheme, err := parseEndpoint(v)
		if err != nil {
			return c, bad(k, v, err)
		}
		c.Endpoint = host
		switch {
		case hasScheme:
			c.Secure = secure
		case !secureSet:
			c.Secure = false
		}
	}
	_, c.Region = get(KeyRegion, KeyEndpointRegion, "fs.s3a.endpoint.region")
	if k, v := get(KeyDisableDNSBuckets, "fs.s3a.path.style.access"); k != "" {
		b, err := conf.ParseBool(v)
		if err != nil {
			return c, bad(k, v, err)
		}
		c.PathStyle = b
	}
	if k, v := get(KeyPartSize, "fs.s3a.multipart.size"); k != "" {
		n, err := conf.ParseSize(v)
		if err != nil {
			return c, bad(k, v, err)
		}
		c.PartSize = int64(min(n, 1<<62))
	}
	if k, v := get(KeySocketTimeout); k != "" {
		d, err := conf.ParseDuration(v)
		if err != nil {
			return c, bad(k, v, err)
		}
		c.ResponseTimeout = d
	}
	if k, v := get(KeyMaxErrorRetry, "fs.s3a.attempts.maximum"); k != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, bad(k, v, err)
		}
		c.MaxRetries = n
	}

	_, c.AccessKey = get(KeyAccessKey, "fs.s3a.access.key")
	_, c.SecretKey = get(KeySecretKey, "fs.s3a.secret.key")
	if c.AccessKey == "" && c.SecretKey == "" {
		c.AccessKey = os.Getenv("AWS_ACCESS_KEY_ID")
		c.SecretKey = os.Getenv("AWS_SECRET_ACCESS_KEY")
		c.SessionToken = os.Getenv("AWS_SESSION_TOKEN")
	}
	return c, c.Validate()
}

// parseEndpoint accepts host[:port] or an http(s) URL with no path.
func parseEndpoint(s string) (host string, secure, hasScheme bool, err error) {
	if !strings.Contains(s, "://") {
		if strings.ContainsAny(s, "/?#") {
			return "", false, false, fmt.Errorf("want host[:port] or http(s)://host[:port]")
		}
		return s, false, false, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false, false, err
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", false, false, fmt.Errorf("scheme %q: want http or https", u.Scheme)
	case u.Host == "":
		return "", false, false, fmt.Errorf("no host")
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "":
		return "", false, false, fmt.Errorf("an endpoint has no path or query")
	}
	return u.Host, u.Scheme == "https", true, nil
}
