package hdfs

import (
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/halo-fs/halo/ufs"
)

// Option keys. Hadoop's own settings come from the XML files that
// KeyConfiguration lists, as in Alluxio.
const (
	// KeyConfiguration lists core-site.xml and hdfs-site.xml paths,
	// separated by colons.
	KeyConfiguration = "alluxio.underfs.hdfs.configuration"
	// KeyUser is the HDFS user to act as; else HADOOP_USER_NAME, else the
	// user running Halo.
	KeyUser = "alluxio.underfs.hdfs.user"
)

// defaultPort is the name node RPC port of a URI that names none.
const defaultPort = "8020"

// Config says how to reach a name node. DefaultConfig gives the defaults
// and ConfigFromOptions reads a URI and a UFS option map over them.
type Config struct {
	// Addresses are the name nodes' RPC addresses (host:port); with high
	// availability, all of them, tried in turn.
	Addresses []string
	// User is the HDFS user the client acts as (simple authentication).
	User string
	// Hadoop holds the properties read from the Hadoop XML files.
	Hadoop map[string]string
	// ConnectTimeout bounds dialing a name node or data node, so that an
	// unreachable one fails within seconds (Hadoop: ipc.client.connect.timeout).
	ConnectTimeout time.Duration
	// RPCTimeout bounds the wait for each name node response
	// (Hadoop: ipc.client.rpc-timeout.ms).
	RPCTimeout time.Duration
	// CloseRetries bounds how often Close asks the name node to complete a
	// file whose last block the data nodes have not yet reported, backing
	// off from 10 ms to 1 s between tries (about 8 s in all with 14).
	CloseRetries int
}

// DefaultConfig returns the defaults: a 3 s connect timeout, a 60 s RPC
// timeout and 14 tries to complete a file.
func DefaultConfig() Config {
	return Config{ConnectTimeout: 3 * time.Second, RPCTimeout: 60 * time.Second, CloseRetries: 14}
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	switch {
	case len(c.Addresses) == 0:
		return fmt.Errorf("hdfs: no name node address: give hdfs://host:port/path or set fs.defaultFS in %s", KeyConfiguration)
	case c.User == "":
		return fmt.Errorf("hdfs: no user: set %s or HADOOP_USER_NAME", KeyUser)
	case c.ConnectTimeout <= 0 || c.RPCTimeout <= 0:
		return fmt.Errorf("hdfs: timeouts must be positive")
	case c.CloseRetries < 1:
		return fmt.Errorf("hdfs: close retries must be at least 1")
	case strings.EqualFold(c.Hadoop["hadoop.security.authentication"], "kerberos"):
		return fmt.Errorf("hdfs: Kerberos authentication is not supported yet: %w", ufs.ErrUnsupported)
	}
	return nil
}

// ConfigFromOptions reads the Hadoop files that KeyConfiguration lists and
// resolves root's authority to name node addresses: an empty authority
// means fs.defaultFS, a name service listed in dfs.ha.namenodes.<ns> means
// its name nodes' dfs.namenode.rpc-address.<ns>.<nn>, and anything else is
// host[:port].
func ConfigFromOptions(root ufs.URI, options map[string]string) (Config, error) {
	c := DefaultConfig()
	c.Hadoop = map[string]string{}
	if files := strings.TrimSpace(options[KeyConfiguration]); files != "" {
		for _, file := range strings.Split(files, ":") {
			if file = strings.TrimSpace(file); file == "" {
				continue
			}
			if err := readHadoopXML(file, c.Hadoop); err != nil {
				return c, fmt.Errorf("hdfs: %s: %w", KeyConfiguration, err)
			}
		}
	}
	if ms, err := hadoopMillis(c.Hadoop, "ipc.client.connect.timeout"); err != nil {
		return c, err
	} else if ms > 0 {
		c.ConnectTimeout = ms
	}
	if ms, err := hadoopMillis(c.Hadoop, "ipc.client.rpc-timeout.ms"); err != nil {
		return c, err
	} else if ms > 0 {
		c.RPCTimeout = ms
	}

	authority := root.Authority
	if authority == "" {
		defaultFS := c.Hadoop["fs.defaultFS"]
		if defaultFS == "" {
			defaultFS = c.Hadoop["fs.default.name"]
		}
		if defaultFS != "" {
			u, err := ufs.ParseURI(defaultFS)
			if err != nil || u.Scheme != "hdfs" {
				return c, fmt.Errorf("hdfs: fs.defaultFS=%q is not an hdfs:// URI", defaultFS)
			}
			authority = u.Authority
		}
	}
	c.Addresses = resolveAuthority(authority, c.Hadoop)

	c.User = strings.TrimSpace(options[KeyUser])
	if c.User == "" {
		c.User = os.Getenv("HADOOP_USER_NAME")
	}
	if c.User == "" {
		if u, err := user.Current(); err == nil {
			c.User = u.Username
		}
	}
	return c, c.Validate()
}

func resolveAuthority(authority string, hadoop map[string]string) []string {
	if authority == "" {
		return nil
	}
	if nns := hadoop["dfs.ha.namenodes."+authority]; nns != "" {
		var addrs []string
		for _, nn := range strings.Split(nns, ",") {
			if a := hadoop["dfs.namenode.rpc-address."+authority+"."+strings.TrimSpace(nn)]; a != "" {
				addrs = append(addrs, a)
			}
		}
		return addrs
	}
	if _, _, err := net.SplitHostPort(authority); err != nil {
		authority = net.JoinHostPort(authority, defaultPort)
	}
	return []string{authority}
}

func hadoopMillis(hadoop map[string]string, key string) (time.Duration, error) {
	v := strings.TrimSpace(hadoop[key])
	if v == "" {
		return 0, nil
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms < 0 {
		return 0, fmt.Errorf("hdfs: %s=%q: want milliseconds", key, v)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// readHadoopXML adds the properties of one Hadoop configuration file to
// into; later files override earlier ones, as in Hadoop.
func readHadoopXML(file string, into map[string]string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var parsed struct {
		Properties []struct {
			Name  string `xml:"name"`
			Value string `xml:"value"`
		} `xml:"property"`
	}
	if err := xml.Unmarshal(data, &parsed); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, p := range parsed.Properties {
		into[strings.TrimSpace(p.Name)] = strings.TrimSpace(p.Value)
	}
	return nil
}
