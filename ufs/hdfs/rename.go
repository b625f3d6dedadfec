package hdfs

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// renamer sends the one name node call that colinmarc/hdfs does not expose:
// rename2 without OVERWRITE, which fails when the destination exists. The
// name node decides that atomically, so it is the commit of a no-overwrite
// Create (the temporary file is renamed onto the final name) and of Rename.
// colinmarc's Client.Rename always passes OVERWRITE, and its RPC layer is
// internal, so this is a minimal Hadoop IPC client of its own: a connection
// with simple authentication (no Kerberos), one call at a time.
type renamer struct {
	addresses      []string
	user           string
	connectTimeout time.Duration
	rpcTimeout     time.Duration

	mu       sync.Mutex
	conn     net.Conn
	clientID []byte
	callID   int32
}

// Hadoop IPC constants (org.apache.hadoop.ipc.RpcConstants and
// ProtobufRpcEngine).
const (
	ipcVersion         = 9
	authNone           = 0
	rpcKindProtobuf    = 2
	rpcFinalPacket     = 0
	connectionContext  = -3
	clientProtocol     = "org.apache.hadoop.hdfs.protocol.ClientProtocol"
	standbyException   = "org.apache.hadoop.ipc.StandbyException"
	rpcStatusSuccess   = 0
	maxResponsePacket  = 64 << 20
	clientProtocolVers = 1
)

// remoteError is an exception the name node returned.
type remoteError struct {
	method, class, message string
}

func (e *remoteError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.method, e.class, firstLine(e.message))
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// rename2 renames src to dst, never replacing dst.
func (r *renamer) rename2(ctx context.Context, src, dst string) error {
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	req = protowire.AppendString(req, src)
	req = protowire.AppendTag(req, 2, protowire.BytesType)
	req = protowire.AppendString(req, dst)
	req = protowire.AppendTag(req, 3, protowire.VarintType)
	req = protowire.AppendVarint(req, 0) // overwriteDest = false
	return r.call(ctx, "rename2", req)
}

// call sends one request and reads its response, trying each name node in
// turn when one is unreachable or standby.
func (r *renamer) call(ctx context.Context, method string, request []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lastErr error
	for attempt := 0; attempt < max(1, len(r.addresses)); attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.conn == nil {
			if lastErr = r.connect(ctx, r.addresses[attempt%len(r.addresses)]); lastErr != nil {
				continue
			}
		}
		err := r.exchange(ctx, method, request)
		var remote *remoteError
		if errors.As(err, &remote) && remote.class != standbyException {
			return err
		}
		if err == nil {
			return nil
		}
		// A broken connection or a standby: drop it and try the next.
		r.conn.Close()
		r.conn = nil
		lastErr = err
	}
	return fmt.Errorf("%s: no name node answered: %w", method, lastErr)
}

func (r *renamer) connect(ctx context.Context, address string) error {
	dialer := net.Dialer{Timeout: r.connectTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", address)
	if err != nil {
		return err
	}
	if r.clientID == nil {
		r.clientID = make([]byte, 16)
		rand.Read(r.clientID)
	}
	// The connection header, then the connection context as a call.
	header := []byte{'h', 'r', 'p', 'c', ipcVersion, 0, authNone}
	var ipcContext []byte
	var user []byte
	user = protowire.AppendTag(user, 1, protowire.BytesType)
	user = protowire.AppendString(user, r.user)
	ipcContext = protowire.AppendTag(ipcContext, 2, protowire.BytesType)
	ipcContext = protowire.AppendBytes(ipcContext, user)
	ipcContext = protowire.AppendTag(ipcContext, 3, protowire.BytesType)
	ipcContext = protowire.AppendString(ipcContext, clientProtocol)
	packet := append(header, framePacket(r.rpcHeader(connectionContext), ipcContext)...)
	conn.SetDeadline(deadline(ctx, r.rpcTimeout))
	if _, err := conn.Write(packet); err != nil {
		conn.Close()
		return err
	}
	r.conn = conn
	return nil
}

// rpcHeader encodes an RpcRequestHeaderProto.
func (r *renamer) rpcHeader(callID int32) []byte {
	var h []byte
	h = protowire.AppendTag(h, 1, protowire.VarintType)
	h = protowire.AppendVarint(h, rpcKindProtobuf)
	h = protowire.AppendTag(h, 2, protowire.VarintType)
	h = protowire.AppendVarint(h, rpcFinalPacket)
	h = protowire.AppendTag(h, 3, protowire.VarintType)
	h = protowire.AppendVarint(h, protowire.EncodeZigZag(int64(callID)))
	h = protowire.AppendTag(h, 4, protowire.BytesType)
	h = protowire.AppendBytes(h, r.clientID)
	return h
}

// framePacket joins varint-length-prefixed messages behind a 4-byte length.
func framePacket(messages ...[]byte) []byte {
	var body []byte
	for _, m := range messages {
		body = protowire.AppendBytes(body, m)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func deadline(ctx context.Context, timeout time.Duration) time.Time {
	d := time.Now().Add(timeout)
	if ctxDeadline, ok := ctx.Deadline(); ok && ctxDeadline.Before(d) {
		d = ctxDeadline
	}
	return d
}

func (r *renamer) exchange(ctx context.Context, method string, request []byte) error {
	r.callID++
	callID := r.callID & 0x7fffffff
	var reqHeader []byte
	reqHeader = protowire.AppendTag(reqHeader, 1, protowire.BytesType)
	reqHeader = protowire.AppendString(reqHeader, method)
	reqHeader = protowire.AppendTag(reqHeader, 2, protowire.BytesType)
	reqHeader = protowire.AppendString(reqHeader, clientProtocol)
	reqHeader = protowire.AppendTag(reqHeader, 3, protowire.VarintType)
	reqHeader = protowire.AppendVarint(reqHeader, clientProtocolVers)

	r.conn.SetDeadline(deadline(ctx, r.rpcTimeout))
	// A cancelled ctx interrupts a call in flight; the connection is then
	// dropped, since its state is unknown.
	stop := context.AfterFunc(ctx, func() { r.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := r.conn.Write(framePacket(r.rpcHeader(callID), reqHeader, request)); err != nil {
		return orContext(ctx, err)
	}
	for {
		var length [4]byte
		if _, err := io.ReadFull(r.conn, length[:]); err != nil {
			return orContext(ctx, err)
		}
		n := binary.BigEndian.Uint32(length[:])
		if n > maxResponsePacket {
			return fmt.Errorf("%s: response of %d bytes", method, n)
		}
		packet := make([]byte, n)
		if _, err := io.ReadFull(r.conn, packet); err != nil {
			return orContext(ctx, err)
		}
		header, _ := protowire.ConsumeBytes(packet)
		if header == nil && len(packet) > 0 {
			return fmt.Errorf("%s: malformed response", method)
		}
		resp := parseResponseHeader(header)
		if resp.callID != uint64(callID) {
			continue // a stale response to a call abandoned earlier
		}
		if resp.status != rpcStatusSuccess {
			return &remoteError{method: method, class: resp.exception, message: resp.message}
		}
		return nil
	}
}

func orContext(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

type responseHeader struct {
	callID, status     uint64
	exception, message string
}

// parseResponseHeader reads the fields of an RpcResponseHeaderProto that
// matter here: callId (1), status (2), exceptionClassName (4), errorMsg (5).
func parseResponseHeader(b []byte) responseHeader {
	var h responseHeader
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		switch {
		case typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return h
			}
			b = b[m:]
			switch num {
			case 1:
				h.callID = v
			case 2:
				h.status = v
			}
		case typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return h
			}
			b = b[m:]
			switch num {
			case 4:
				h.exception = string(v)
			case 5:
				h.message = string(v)
			}
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return h
			}
			b = b[m:]
		}
	}
	return h
}

func (r *renamer) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		r.conn.Close()
		r.conn = nil
	}
}
