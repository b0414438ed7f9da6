// A native echo ETL server for bench/inline.py: the hpush and ws halves of the ETL webserver
// protocol with as little work as possible (GET /health -> "Running"; PUT|POST /<path> -> the
// body, read whole and sent back; GET /ws -> the websocket of ws.go), so that the benchmark shows
// Kiln's own overhead rather than a Python server's.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
)

func main() {
	port := flag.Int("port", 8000, "port to listen on (127.0.0.1)")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/ws" {
			wsHandler(w, r)
			return
		}
		if r.Method == http.MethodGet && r.URL.Path == "/health" {
			w.Write([]byte("Running"))
			return
		}
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			http.Error(w, "only PUT and POST", http.StatusMethodNotAllowed)
			return
		}
		// The object is read whole, then answered, as AIS's transformers do (and a client that
		// sends its whole request before it reads, like the benchmark's, needs).
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	if err := http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
