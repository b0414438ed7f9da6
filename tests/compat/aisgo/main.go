// aisgo drives a Kiln cluster through the official Go client of AIStore (the `api` package of
// github.com/NVIDIA/aistore, the library the `ais` CLI is built on), one subcommand per `ais`
// command the compat scripts exercise. The CLI module itself (cmd/cli) has no tagged release
// that the Go module proxy serves, so its library stands in for it; see docs/compat.md.
//
// Usage: AIS_ENDPOINT=http://127.0.0.1:PORT aisgo <command> [args]; object data goes to stdout,
// errors to stderr with exit status 1.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/NVIDIA/aistore/api"
	"github.com/NVIDIA/aistore/api/apc"
	"github.com/NVIDIA/aistore/cmn"
	"github.com/NVIDIA/aistore/cmn/cos"
	"github.com/NVIDIA/aistore/ext/etl"
	"github.com/NVIDIA/aistore/xact"
	"sigs.k8s.io/yaml"
)

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		// The Go client's error carries status and the server's message.
		if herr, ok := err.(*cmn.ErrHTTP); ok {
			fail("status %d: %s", herr.Status, herr.Message)
		}
		fail("%v", err)
	}
}

// bucket parses "ais://b" or "b"; object parses "ais://b/o".
func bucket(s string) cmn.Bck {
	s = strings.TrimPrefix(s, "ais://")
	return cmn.Bck{Name: strings.TrimSuffix(s, "/"), Provider: apc.AIS}
}

func object(s string) (cmn.Bck, string) {
	s = strings.TrimPrefix(s, "ais://")
	b, o, ok := strings.Cut(s, "/")
	if !ok || o == "" {
		fail("want BUCKET/OBJECT, got %q", s)
	}
	return cmn.Bck{Name: b, Provider: apc.AIS}, o
}

func baseParams() api.BaseParams {
	url := os.Getenv("AIS_ENDPOINT")
	if url == "" {
		fail("AIS_ENDPOINT is not set")
	}
	return api.BaseParams{Client: &http.Client{Timeout: 10 * time.Minute}, URL: url, UA: "ais/cli"}
}

// initMsg reads one YAML document the way `ais etl init --spec` does: a document with a
// top-level `runtime` is an etl-spec message, any other is a Kubernetes pod (the deprecated
// spec message) whose name and communication type come from its metadata.
func initMsg(file, name, comm, initTimeout, objTimeout string) etl.InitMsg {
	raw, err := os.ReadFile(file)
	check(err)
	var doc map[string]any
	check(yaml.Unmarshal(raw, &doc))
	var base etl.InitMsgBase
	if _, ok := doc["runtime"]; ok {
		var msg etl.ETLSpecMsg
		check(yaml.Unmarshal(raw, &msg))
		applyFlags(&msg.InitMsgBase, name, comm, initTimeout, objTimeout)
		return &msg
	}
	meta, _ := doc["metadata"].(map[string]any)
	if n, ok := meta["name"].(string); ok {
		base.EtlName = n
	}
	if ann, ok := meta["annotations"].(map[string]any); ok {
		if c, ok := ann["communication_type"].(string); ok {
			base.CommTypeX = c
		}
		if t, ok := ann["wait_timeout"].(string); ok {
			check(base.InitTimeout.UnmarshalJSON([]byte(`"` + t + `"`)))
		}
	}
	applyFlags(&base, name, comm, initTimeout, objTimeout)
	return &etl.InitSpecMsg{Spec: raw, InitMsgBase: base}
}

func applyFlags(base *etl.InitMsgBase, name, comm, initTimeout, objTimeout string) {
	if name != "" {
		base.EtlName = name
	}
	if comm != "" {
		base.CommTypeX = comm
	}
	if initTimeout != "" {
		check(base.InitTimeout.UnmarshalJSON([]byte(`"` + initTimeout + `"`)))
	}
	if objTimeout != "" {
		check(base.ObjTimeout.UnmarshalJSON([]byte(`"` + objTimeout + `"`)))
	}
}

// flags parses the options after the positional arguments, as urfave/cli allows.
func flags(name string, args []string, define func(*flag.FlagSet)) []string {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	define(fs)
	var pos []string
	for len(args) > 0 {
		check(fs.Parse(args))
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return pos
}

func need(pos []string, n int, usage string) {
	if len(pos) < n {
		fail("usage: aisgo %s", usage)
	}
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: aisgo <command> [args]")
	}
	bp := baseParams()
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "bucket-create":
		need(args, 1, "bucket-create BUCKET")
		check(api.CreateBucket(bp, bucket(args[0]), nil))
	case "bucket-rm":
		need(args, 1, "bucket-rm BUCKET")
		check(api.DestroyBucket(bp, bucket(args[0])))
	case "put":
		need(args, 2, "put FILE|- BUCKET/OBJECT")
		var data []byte
		var err error
		if args[0] == "-" {
			data, err = readAll(os.Stdin)
		} else {
			data, err = os.ReadFile(args[0])
		}
		check(err)
		bck, obj := object(args[1])
		_, err = api.PutObject(&api.PutArgs{BaseParams: bp, Bck: bck, ObjName: obj,
			Reader: cos.NewByteReader(data), Size: uint64(len(data))})
		check(err)
	case "get":
		need(args, 1, "get BUCKET/OBJECT")
		bck, obj := object(args[0])
		_, err := api.GetObject(bp, bck, obj, &api.GetArgs{Writer: os.Stdout})
		check(err)
	case "ls":
		var prefix string
		pos := flags(cmd, args, func(fs *flag.FlagSet) { fs.StringVar(&prefix, "prefix", "", "") })
		need(pos, 1, "ls BUCKET [--prefix P]")
		res, err := api.ListObjects(bp, bucket(pos[0]), &apc.LsoMsg{Prefix: prefix, Props: apc.GetPropsSize}, api.ListArgs{})
		check(err)
		for _, e := range res.Entries {
			fmt.Printf("%s\t%d\n", e.Name, e.Size)
		}
	case "etl-init":
		var name, comm, initTimeout, objTimeout string
		pos := flags(cmd, args, func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "")
			fs.StringVar(&comm, "comm-type", "", "")
			fs.StringVar(&initTimeout, "init-timeout", "", "")
			fs.StringVar(&objTimeout, "object-timeout", "", "")
		})
		need(pos, 1, "etl-init SPEC.yaml [--name N] [--comm-type C]")
		xid, err := api.ETLInit(bp, initMsg(pos[0], name, comm, initTimeout, objTimeout))
		check(err)
		fmt.Println(xid)
	case "etl-show":
		if len(args) == 0 {
			list, err := api.ETLList(bp)
			check(err)
			sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
			for _, e := range list {
				fmt.Printf("%s\t%s\t%d\t%d\t%d\n", e.Name, e.Stage, e.ObjCount, e.InBytes, e.OutBytes)
			}
			return
		}
		details, err := api.ETLGetDetail(bp, args[0], "")
		check(err)
		check(details.InitMsg.Validate())
		fmt.Printf("name\t%s\ncomm\t%s\ntype\t%s\n", details.InitMsg.Name(), details.InitMsg.CommType(),
			details.InitMsg.MsgType())
	case "etl-show-errors":
		need(args, 1, "etl-show-errors NAME [JOB-ID]")
		xid := ""
		if len(args) > 1 {
			xid = args[1]
		}
		details, err := api.ETLGetDetail(bp, args[0], xid)
		check(err)
		for _, e := range details.ObjErrs {
			fmt.Printf("%s\t%d\t%s\n", e.ObjName, e.Ecode, e.Message)
		}
	case "etl-view-logs":
		need(args, 1, "etl-view-logs NAME [TARGET-ID]")
		logs, err := api.ETLLogs(bp, args[0], args[1:]...)
		check(err)
		for _, l := range logs {
			fmt.Printf("== %s %d\n", l.TargetID, len(l.Logs))
			os.Stdout.Write(l.Logs)
		}
	case "etl-object":
		var targs string
		pos := flags(cmd, args, func(fs *flag.FlagSet) { fs.StringVar(&targs, "args", "", "") })
		need(pos, 2, "etl-object NAME BUCKET/OBJECT [--args A]")
		bck, obj := object(pos[1])
		e := &api.ETL{ETLName: pos[0]}
		if targs != "" {
			e.TransformArgs = targs
		}
		_, err := api.ETLObject(bp, e, bck, obj, os.Stdout)
		check(err)
	case "etl-bucket":
		var prefix, ext string
		var dryRun, wait, coer bool
		pos := flags(cmd, args, func(fs *flag.FlagSet) {
			fs.StringVar(&prefix, "prefix", "", "")
			fs.StringVar(&ext, "ext", "", "")
			fs.BoolVar(&dryRun, "dry-run", false, "")
			fs.BoolVar(&wait, "wait", false, "")
			fs.BoolVar(&coer, "cont-on-err", false, "")
		})
		need(pos, 3, "etl-bucket NAME SRC DST [--prefix P] [--ext JSON] [--dry-run] [--cont-on-err] [--wait]")
		msg := &apc.TCBMsg{}
		msg.Transform.Name = pos[0]
		msg.Prefix = prefix
		msg.DryRun = dryRun
		msg.ContinueOnError = coer
		if ext != "" {
			check(json.Unmarshal([]byte(ext), &msg.Ext))
		}
		xid, err := api.ETLBucket(bp, bucket(pos[1]), bucket(pos[2]), msg, apc.FltPresent)
		check(err)
		fmt.Println(xid)
		if !wait {
			return
		}
		xargs := &xact.ArgsMsg{ID: xid, Kind: apc.ActETLBck, Timeout: 5 * time.Minute}
		check(api.WaitForXaction(bp, xargs))
		snaps, err := api.QueryXactionSnaps(bp, &xact.ArgsMsg{ID: xid})
		check(err)
		locObjs, outObjs, _ := snaps.ObjCounts(xid)
		locBytes, outBytes, _ := snaps.ByteCounts(xid)
		fmt.Printf("objects\t%d\nbytes\t%d\n", locObjs+outObjs, locBytes+outBytes)
		for tid, list := range snaps {
			for _, s := range list {
				// With --cont-on-err a job reports failed objects and still succeeds.
				if s.ID == xid && (s.AbortedX || s.AbortErr != "" || (!coer && s.Err != "")) {
					fail("job %s on %s: aborted=%v err=%q", xid, tid, s.AbortedX, s.Err)
				}
			}
		}
	case "etl-stop":
		need(args, 1, "etl-stop NAME")
		check(api.ETLStop(bp, args[0]))
	case "etl-start":
		need(args, 1, "etl-start NAME")
		check(api.ETLStart(bp, args[0]))
	case "etl-rm":
		need(args, 1, "etl-rm NAME")
		check(api.ETLDelete(bp, args[0]))
	default:
		fail("unknown command %q", cmd)
	}
}

func readAll(f *os.File) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(f)
	return buf.Bytes(), err
}
