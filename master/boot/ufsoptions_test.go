package boot

import (
	"maps"
	"testing"

	"github.com/halo-fs/halo/conf"
)

func TestUFSOptions(t *testing.T) {
	cfg := &conf.Config{Properties: map[string]string{
		"alluxio.underfs.s3.endpoint":        "http://general:9000",
		"alluxio.underfs.hdfs.configuration": "/etc/hadoop/core-site.xml",
		"aws.accessKeyId":                    "key",
		"aws.secretKey":                      "secret",
		"fs.s3a.path.style.access":           "true",
		"alluxio.master.journal.ufs.option.alluxio.underfs.s3.endpoint": "http://journal:9000",
		"alluxio.master.journal.ufs.option.aws.secretKey":               "journal-secret",
		"alluxio.master.hostname":                                       "m1",
		"alluxio.master.journal.folder":                                 "/j",
	}}
	want := map[string]string{
		"alluxio.underfs.s3.endpoint":        "http://journal:9000",
		"alluxio.underfs.hdfs.configuration": "/etc/hadoop/core-site.xml",
		"aws.accessKeyId":                    "key",
		"aws.secretKey":                      "journal-secret",
		"fs.s3a.path.style.access":           "true",
	}
	if got := ufsOptions(cfg); !maps.Equal(got, want) {
		t.Errorf("ufsOptions = %v\nwant %v", got, want)
	}
}
