package main

import (
	"testing"

	"github.com/halo-fs/halo/cli"
)

func TestShortCircuitSettingReachesTheDataCommands(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]string
		wantOff   bool
	}{
		{"on by default, as in Alluxio", nil, false},
		{"turned off", map[string]string{"alluxio.user.short.circuit.enabled": "false"}, true},
		{"turned on", map[string]string{"alluxio.user.short.circuit.enabled": "TRUE"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &cli.Env{}
			fillEnv(env, loadWith(t, tt.overrides))
			if env.NoShortCircuit != tt.wantOff {
				t.Errorf("NoShortCircuit = %v with %v, want %v", env.NoShortCircuit, tt.overrides, tt.wantOff)
			}
		})
	}
}
