// A static echo ETL server for the container tests: built with CGO_ENABLED=0 and imported as a
// one-file image (docker import), so no registry is needed. Speaks the ETL webserver's hpush
// half: GET /health -> "Running"; PUT|POST /<path> -> the body; with ?etl_args=upper the body
// upper-cased. It logs its start line with $KILN_TEST_MARKER, so tests can find it in the logs.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("l", "0.0.0.0", "address to listen on")
	port := flag.Int("p", 8000, "port to listen on")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/health" {
			w.Write([]byte("Running"))
			return
		}
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			http.Error(w, "only PUT and POST", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.URL.Query().Get("etl_args") == "upper" {
			body = bytes.ToUpper(body)
		}
		fmt.Printf("static-echo: %s %s %d bytes\n", r.Method, r.URL.Path, len(body))
		w.Write(body)
	})
	fmt.Printf("static-echo: marker %s listening on %s:%d\n", os.Getenv("KILN_TEST_MARKER"), *addr, *port)
	if err := http.ListenAndServe(fmt.Sprintf("%s:%d", *addr, *port), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
