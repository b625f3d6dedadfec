package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/sharedsecret"
)

// webLoginCommand prints a login link for each master's web UI: in SECRET
// mode a browser cannot sign its requests, so it opens the operator pages
// (Browse, Configuration, Mount table, Logs) with the session such a link
// gives it.
func (e *Env) webLoginCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "webLogin",
		Short: "Print links that open the masters' web UI as an operator (SECRET mode); each works for a minute",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Dialing loads the deployment's configuration into e.
			if err := e.withClient(cmd, func(context.Context, *client.Client) error { return nil }); err != nil {
				return err
			}
			if e.Authentication != "SECRET" {
				return fmt.Errorf("login links are for alluxio.security.authentication.type=SECRET; this deployment runs %q, where the web UI needs none (CERTIFICATE: present your certificate)", e.Authentication)
			}
			secret, err := sharedsecret.ReadFile(e.SecretFile)
			if err != nil {
				return err
			}
			return writeLoginLinks(e.Out, e.MasterAddresses, e.WebPort, secret, time.Now())
		},
	}
}

// writeLoginLinks prints one link per master, on the master's host and
// the deployment's web port.
func writeLoginLinks(w io.Writer, masters []string, webPort int, secret []byte, now time.Time) error {
	token := url.QueryEscape(sharedsecret.LoginToken(secret, now))
	for _, addr := range masters {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("master address %q: %w", addr, err)
		}
		fmt.Fprintf(w, "http://%s%s?token=%s\n", net.JoinHostPort(host, strconv.Itoa(webPort)), sharedsecret.LoginPath, token)
	}
	return nil
}
