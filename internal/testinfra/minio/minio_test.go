package minio

import "testing"

// The API port must never be the console's: MinIO exits at start-up when
// a free port handed out happens to be 13333.
func TestAPIPortIsNeverTheConsolePort(t *testing.T) {
	handed := []int{consolePort, 20001}
	free := func() (int, error) {
		p := handed[0]
		handed = handed[1:]
		return p, nil
	}
	p, err := apiPort(free)
	if err != nil || p != 20001 {
		t.Errorf("apiPort = %d, %v; want 20001, the next port handed out", p, err)
	}
}
