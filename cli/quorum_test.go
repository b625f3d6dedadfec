package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/proto/halopb"
)

func TestSplitDashOptions(t *testing.T) {
	allowed := []string{"domain", "address"}
	tests := []struct {
		args     []string
		want     map[string]string
		wantRest []string
		wantErr  bool
	}{
		{args: []string{"-domain", "MASTER", "-address", "m2:19200"}, want: map[string]string{"domain": "MASTER", "address": "m2:19200"}},
		{args: []string{"--address=m2:19200"}, want: map[string]string{"address": "m2:19200"}},
		{args: []string{"--conf", "/etc/halo", "-address=m2:19200", "--domain", "MASTER", "-D", "k=v"},
			want: map[string]string{"domain": "MASTER", "address": "m2:19200"}, wantRest: []string{"--conf", "/etc/halo", "-D", "k=v"}},
		{args: nil, want: map[string]string{}},
		{args: []string{"-port", "1"}, want: map[string]string{}, wantRest: []string{"-port", "1"}},
		{args: []string{"-address"}, wantErr: true},
	}
	for _, tt := range tests {
		got, rest, err := splitDashOptions(tt.args, allowed)
		if tt.wantErr {
			if err == nil {
				t.Errorf("splitDashOptions(%q) = %v, want an error", tt.args, got)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) || !slices.Equal(rest, tt.wantRest) {
			t.Errorf("splitDashOptions(%q) = %v, %q, %v; want %v, %q", tt.args, got, rest, err, tt.want, tt.wantRest)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("splitDashOptions(%q)[%s] = %q, want %q", tt.args, k, got[k], v)
			}
		}
	}
}

func TestWriteQuorumInfo(t *testing.T) {
	info := &halopb.QuorumInfo{
		Domain: "MASTER", Term: 4, CommitIndex: 120, AppliedIndex: 119,
		Members: []*halopb.QuorumMember{
			{Address: "m1:19200", State: "AVAILABLE", Voter: true, AppliedIndex: 117, Lag: 2},
			{Address: "m2:19200", State: "AVAILABLE", Voter: true, Leader: true, AppliedIndex: 119},
			{Address: "m3:19200", State: "UNAVAILABLE", Voter: true},
		},
	}
	var b bytes.Buffer
	writeQuorumInfo(&b, info)
	want := "" +
		"Journal domain\t: MASTER\n" +
		"Quorum size\t: 3\n" +
		"Quorum leader\t: m2:19200\n" +
		"\n" +
		"STATE       | PRIORITY | SERVER ADDRESS\n" +
		"AVAILABLE   | 0        | m1:19200\n" +
		"AVAILABLE   | 0        | m2:19200\n" +
		"UNAVAILABLE | 0        | m3:19200\n" +
		"\n" +
		"Term\t\t: 4\n" +
		"Commit index\t: 120\n" +
		"Applied index\t: 119\n" +
		"\n" +
		"SERVER ADDRESS        | ROLE     | APPLIED INDEX | LAG\n" +
		"m1:19200              | FOLLOWER | 117           | 2\n" +
		"m2:19200              | LEADER   | 119           | 0\n" +
		"m3:19200              | FOLLOWER | -             | -\n"
	if b.String() != want {
		t.Errorf("writeQuorumInfo =\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	writeQuorumInfo(&b, &halopb.QuorumInfo{})
	if want := "Journal domain\t: MASTER\nQuorum size\t: 0\nQuorum leader\t: UNKNOWN\n\nSTATE       | PRIORITY | SERVER ADDRESS\n" +
		"\nTerm\t\t: 0\nCommit index\t: 0\nApplied index\t: 0\n\nSERVER ADDRESS        | ROLE     | APPLIED INDEX | LAG\n"; b.String() != want {
		t.Errorf("empty quorum =\n%q\nwant\n%q", b.String(), want)
	}
}

func TestQuorumCommandsKeepInheritedFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	root := &cobra.Command{Use: "halo", SilenceErrors: true, SilenceUsage: true}
	var confDir string
	root.PersistentFlags().StringVar(&confDir, "conf", "", "configuration folder")
	root.AddCommand(NewFSAdminCommand(unreachableEnv(&out, &errOut)))
	code := Execute(context.Background(), root,
		[]string{"--conf", "/etc/halo", "fsadmin", "journal", "quorum", "info", "-domain", "MASTER"}, &errOut)
	if confDir != "/etc/halo" {
		t.Errorf("--conf = %q after quorum info, want /etc/halo", confDir)
	}
	if code != 1 || !strings.Contains(errOut.String(), "no master reachable") {
		t.Errorf("exit %d, stderr %q; want the dial failure", code, errOut.String())
	}
}
