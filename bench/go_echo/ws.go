package main

// The ws:// half of the echo server: AIS's websocket framing (a text control message per object,
// then the object as one binary message, answered with one binary message), with the framing
// written out here on the standard library alone. Control messages that carry an "fqn" are
// answered with that file's bytes (direct reads); the others announce the binary message that
// follows.

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
)

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsHandler(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	hj, ok := w.(http.Hijacker)
	if key == "" || !ok {
		http.Error(w, "websocket upgrade expected", http.StatusBadRequest)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	sum := sha1.Sum([]byte(key + wsGUID))
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
	if rw.Flush() != nil {
		return
	}
	serveWs(rw.Reader, rw.Writer)
}

func serveWs(in *bufio.Reader, out *bufio.Writer) {
	expectControl := true
	var buf []byte // one message's room, kept from one message to the next
	for {
		opcode, message, err := readMessage(in, out, buf[:0])
		if err != nil {
			return
		}
		if opcode != 0x8 {
			buf = message
		}
		if opcode == 0x8 {
			writeFrame(out, 0x8, message[:min(len(message), 2)])
			out.Flush()
			return
		}
		if expectControl {
			var control struct {
				Fqn string `json:"fqn"`
			}
			json.Unmarshal(message, &control)
			if control.Fqn == "" {
				expectControl = false
				continue
			}
			data, err := os.ReadFile(control.Fqn)
			if err != nil {
				data = []byte(err.Error())
			}
			message = data
		} else {
			expectControl = true
		}
		if writeFrame(out, 0x2, message) != nil || out.Flush() != nil {
			return
		}
	}
}

// readMessage reads frames up to a whole data message, answering pings on the way. Data frames
// are read straight onto the end of the message: no copy per frame.
func readMessage(in *bufio.Reader, out *bufio.Writer, message []byte) (byte, []byte, error) {
	var first byte
	for {
		fin, opcode, length, mask, err := readHead(in)
		if err != nil {
			return 0, nil, err
		}
		if opcode >= 0x8 { // control frames: small, never fragmented
			payload, err := readPayload(in, nil, length, mask)
			if err != nil {
				return 0, nil, err
			}
			if opcode == 0x8 {
				return opcode, payload, nil
			}
			if opcode == 0x9 {
				writeFrame(out, 0xA, payload)
				out.Flush()
			}
			continue
		}
		if opcode != 0x0 {
			first = opcode
			message = message[:0]
		}
		if message, err = readPayload(in, message, length, mask); err != nil {
			return 0, nil, err
		}
		if fin {
			return first, message, nil
		}
	}
}

func readHead(in *bufio.Reader) (fin bool, opcode byte, length uint64, mask *[4]byte, err error) {
	var head [2]byte
	if _, err = io.ReadFull(in, head[:]); err != nil {
		return
	}
	fin, opcode, length = head[0]&0x80 != 0, head[0]&0x0F, uint64(head[1]&0x7F)
	switch length {
	case 126:
		var ext [2]byte
		if _, err = io.ReadFull(in, ext[:]); err != nil {
			return
		}
		length = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err = io.ReadFull(in, ext[:]); err != nil {
			return
		}
		length = binary.BigEndian.Uint64(ext[:])
	}
	if length > 1<<31 {
		err = errors.New("frame too large")
		return
	}
	if head[1]&0x80 != 0 {
		mask = new([4]byte)
		_, err = io.ReadFull(in, mask[:])
	}
	return
}

// readPayload appends a frame's payload of length bytes to buf, unmasked.
func readPayload(in *bufio.Reader, buf []byte, length uint64, mask *[4]byte) ([]byte, error) {
	start := len(buf)
	need := start + int(length)
	if cap(buf) < need {
		grown := make([]byte, start, max(need, 2*cap(buf)))
		copy(grown, buf)
		buf = grown
	}
	buf = buf[:need]
	if _, err := io.ReadFull(in, buf[start:]); err != nil {
		return nil, err
	}
	if mask != nil {
		unmask(buf[start:], *mask)
	}
	return buf, nil
}

// unmask XORs eight bytes at a time, as the C speed-ups of Python's websockets package do.
func unmask(payload []byte, mask [4]byte) {
	key := uint64(binary.LittleEndian.Uint32(mask[:]))
	key |= key << 32
	i := 0
	for ; i+8 <= len(payload); i += 8 {
		v := binary.LittleEndian.Uint64(payload[i:])
		binary.LittleEndian.PutUint64(payload[i:], v^key)
	}
	for ; i < len(payload); i++ {
		payload[i] ^= mask[i%4]
	}
}

func writeFrame(out *bufio.Writer, opcode byte, payload []byte) error {
	out.WriteByte(0x80 | opcode)
	n := len(payload)
	switch {
	case n < 126:
		out.WriteByte(byte(n))
	case n < 65536:
		out.WriteByte(126)
		var ext [2]byte
		binary.BigEndian.PutUint16(ext[:], uint16(n))
		out.Write(ext[:])
	default:
		out.WriteByte(127)
		var ext [8]byte
		binary.BigEndian.PutUint64(ext[:], uint64(n))
		out.Write(ext[:])
	}
	_, err := out.Write(payload)
	return err
}
