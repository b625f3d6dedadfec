package boot

import (
	"strings"

	"github.com/halo-fs/halo/conf"
)

// ufsOptions gathers the options a UFS adapter reads from the site
// properties: alluxio.underfs.* (endpoints, Hadoop configuration files,
// users), aws.* (S3 credentials) and fs.* (Hadoop-style keys such as
// fs.s3a.endpoint), keys unchanged; then alluxio.master.journal.ufs.option.*
// with that prefix stripped, so that
// alluxio.master.journal.ufs.option.alluxio.underfs.s3.endpoint becomes
// alluxio.underfs.s3.endpoint. The journal's options come last and win:
// the stores a master writes its own state to (journal, checkpoint archive)
// are configured for the journal, as in Alluxio.
func ufsOptions(cfg *conf.Config) map[string]string {
	options := make(map[string]string)
	for _, prefix := range []string{"alluxio.underfs.", "aws.", "fs."} {
		for k, v := range cfg.PropertiesWithPrefix(prefix) {
			options[k] = v
		}
	}
	for k, v := range cfg.PropertiesWithPrefix(conf.KeyJournalUFSOptionPrefix) {
		if name := strings.TrimPrefix(k, conf.KeyJournalUFSOptionPrefix); name != "" {
			options[name] = v
		}
	}
	return options
}
