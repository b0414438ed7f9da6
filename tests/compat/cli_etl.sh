#!/usr/bin/env bash
# The ais CLI's ETL workflows, seed 004's compute-MD5 tutorial first, driven through the
# official AIStore Go client (tests/compat/aisgo: one subcommand per `ais` command, see its
# main.go) against a fresh `kilnd cluster`. Seed-era request forms that AIS dropped (init code
# over hpull and io://, hrev://, POST /v1/etl/init and /v1/etl/build, GET /v1/etl/list) go
# through curl, as the old CLI sent them. Every result is compared byte for byte with what this
# script computes itself (md5sum, python3). Each step is recorded in
# $KILN_COMPAT_RESULTS/cli.json when that is set. Needs: $KILND, $AISGO (or scripts/install-aisgo).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
KILND="${KILND:-$repo/build/service/kilnd}"
AISGO="${AISGO:-$("$repo/scripts/install-aisgo")}"
work="$(mktemp -d "${TMPDIR:-/tmp}/kiln-cli-XXXXXX")"
results="$work/steps.jsonl"
failed=0
passed=0
cluster_pid=""

cleanup() {
    if [ -n "$cluster_pid" ] && kill -0 "$cluster_pid" 2>/dev/null; then
        kill -TERM "$cluster_pid"
        for _ in $(seq 100); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$cluster_pid" 2>/dev/null && kill -KILL "$cluster_pid"
    fi
    if [ -n "${KILN_COMPAT_RESULTS:-}" ]; then
        mkdir -p "$KILN_COMPAT_RESULTS"
        python3 - "$results" "$KILN_COMPAT_RESULTS/cli.json" "$SECONDS" <<'PY'
import json, sys
steps = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
json.dump({"client": "aistore Go api v1.5.0 (tests/compat/aisgo) + curl for seed-era forms",
           "suite": "cli_etl.sh", "seconds": int(sys.argv[3]), "steps": steps},
          open(sys.argv[2], "w"), indent=1)
PY
    fi
    if [ "$failed" -eq 0 ]; then rm -rf "$work"; else echo "kept $work for inspection" >&2; fi
}
trap cleanup EXIT
touch "$results"

# step "<ais command as the CLI spells it>" <command...>: runs it, records pass/fail.
step() {
    local what="$1"
    shift
    if "$@" >"$work/out" 2>"$work/err"; then
        passed=$((passed + 1))
        printf '%s\n' "$(python3 -c 'import json,sys; print(json.dumps({"command": sys.argv[1], "ok": True}))' "$what")" >>"$results"
    else
        failed=$((failed + 1))
        echo "FAILED: $what" >&2
        sed 's/^/  | /' "$work/err" "$work/out" | head -20 >&2
        printf '%s\n' "$(python3 -c 'import json,sys; print(json.dumps({"command": sys.argv[1], "ok": False}))' "$what")" >>"$results"
    fi
}

ais() { "$AISGO" "$@"; }
# same FILE <command...>: the command's stdout equals FILE byte for byte.
same() {
    local want="$1"
    shift
    "$@" >"$work/got" || return 1
    cmp "$want" "$work/got"
}
fails() { ! "$@"; }
md5of() { md5sum "$1" | cut -c1-32 | tr -d '\n'; }
etl_stage() { ais etl-show | awk -v n="$1" '$1 == n { print $2 }'; }
b64() { base64 -w0 "$1"; }

# --- the cluster -------------------------------------------------------------------------------
"$KILND" cluster --targets 3 --port 0 --host 127.0.0.1 --data "$work/data" \
    --venv-dir "${KILN_COMPAT_VENVS:-$HOME/.cache/kiln/compat-venvs}" >"$work/cluster.out" 2>&1 &
cluster_pid=$!
for _ in $(seq 600); do
    url="$(grep -o 'Kiln cluster ready: http://127.0.0.1:[0-9]*' "$work/cluster.out" | cut -d' ' -f4)"
    [ -n "$url" ] && break
    kill -0 "$cluster_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "${url:-}" ]; then
    echo "kilnd cluster did not start" >&2
    tail -20 "$work/cluster.out" >&2
    failed=1
    exit 1
fi
export AIS_ENDPOINT="$url"
echo "cluster at $url; client $AISGO"

# --- seed 004: compute MD5 ---------------------------------------------------------------------
printf 'some text :)\n' >"$work/shard.in"
md5of "$work/shard.in" >"$work/shard.md5"
head -c 200000 /dev/urandom >"$work/big.bin"
md5of "$work/big.bin" >"$work/big.md5"

step "ais bucket create ais://transform" ais bucket-create ais://transform
step "ais put - transform/shard.in" sh -c "'$AISGO' put - transform/shard.in <'$work/shard.in'"
step "ais put FILE transform/data/big.bin" ais put "$work/big.bin" transform/data/big.bin
printf 'data/big.bin\t200000\nshard.in\t13\n' >"$work/ls.want"
step "ais ls ais://transform" same "$work/ls.want" sh -c "'$AISGO' ls ais://transform | sort"
step "ais get transform/shard.in -" same "$work/shard.in" ais get transform/shard.in

# The tutorial's pod spec, with the seed's MD5 server (POST only) and a readiness probe.
cat >"$work/spec.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: transformer-md5
  annotations:
    communication_type: "hpush://"
    wait_timeout: 2m
spec:
  containers:
    - name: server
      image: python:3.11
      ports:
        - name: default
          containerPort: 80
      command: ['python3', '$repo/tests/integration/etl_servers/md5_server.py', '--listen', '127.0.0.1', '--port', '80']
      readinessProbe:
        httpGet:
          path: /health
          port: default
YAML
step "ais etl init spec --from-file=spec.yaml (pod, name and comm type from the spec)" \
    ais etl-init "$work/spec.yaml"
step "ais etl show" sh -c "'$AISGO' etl-show | grep -q '^transformer-md5	Running	'"
printf 'name\ttransformer-md5\ncomm\thpush://\ntype\tspec\n' >"$work/show.want"
step "ais etl show transformer-md5 (init message re-validated by the Go client)" \
    same "$work/show.want" ais etl-show transformer-md5
step "ais etl object transformer-md5 transform/shard.in -" \
    same "$work/shard.md5" ais etl-object transformer-md5 transform/shard.in
step "ais etl bucket transformer-md5 ais://transform ais://transform-md5 --wait" \
    ais etl-bucket transformer-md5 ais://transform ais://transform-md5 --wait
step "ais get transform-md5/shard.in (bucket transform result)" \
    same "$work/shard.md5" ais get transform-md5/shard.in
step "ais get transform-md5/data/big.bin (bucket transform result)" \
    same "$work/big.md5" ais get transform-md5/data/big.bin
step "ais etl bucket ... --prefix data/ --ext '{\"bin\":\"md5\"}' --wait" \
    ais etl-bucket transformer-md5 ais://transform ais://only-data --prefix data/ --ext '{"bin":"md5"}' --wait
printf 'data/big.md5\t32\n' >"$work/ls2.want"
step "ais ls ais://only-data (prefix and extension applied)" same "$work/ls2.want" ais ls ais://only-data
step "ais get only-data/data/big.md5" same "$work/big.md5" ais get only-data/data/big.md5
# A dry run transforms and counts the results' bytes, as AIS does (the two MD5 digests).
dry_bytes=$(($(wc -c <"$work/shard.md5") + $(wc -c <"$work/big.md5")))
step "ais etl bucket ... --dry-run --wait" \
    sh -c "'$AISGO' etl-bucket transformer-md5 ais://transform ais://dry-dst --dry-run --wait >'$work/dry.out' && grep -q '^objects	2$' '$work/dry.out' && grep -q '^bytes	$dry_bytes\$' '$work/dry.out'"
step "ais ls ais://dry-dst (a dry run writes nothing)" fails ais ls ais://dry-dst
xid="$(ais etl-bucket transformer-md5 ais://transform ais://transform-md5b --wait | head -1)"
step "ais etl show errors transformer-md5 <job-id> (none)" same /dev/null ais etl-show-errors transformer-md5 "$xid"
step "ais etl show errors transformer-md5 (inline, none)" same /dev/null ais etl-show-errors transformer-md5
step "ais etl view-logs transformer-md5" sh -c "test \$('$AISGO' etl-view-logs transformer-md5 | grep -c '^== ') -eq 3"
tid="$(curl -s "$url/v1/daemon?what=smap" | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)["tmap"])[0])')"
step "ais etl view-logs transformer-md5 <target-id>" \
    sh -c "'$AISGO' etl-view-logs transformer-md5 '$tid' | head -1 | grep -q '^== $tid '"
step "ais etl stop transformer-md5" ais etl-stop transformer-md5
step "ais etl show (stopped: Aborted)" test "$(etl_stage transformer-md5)" = Aborted
step "ais etl object on a stopped ETL fails" fails ais etl-object transformer-md5 transform/shard.in
step "ais etl start transformer-md5" ais etl-start transformer-md5
step "ais etl show (started: Running)" test "$(etl_stage transformer-md5)" = Running
step "ais etl object after start" same "$work/shard.md5" ais etl-object transformer-md5 transform/shard.in
step "ais etl rm transformer-md5" ais etl-rm transformer-md5
step "ais etl show (removed)" test -z "$(etl_stage transformer-md5)"
step "ais etl rm unknown ETL fails" fails ais etl-rm transformer-md5

# --- today's spec form: runtime image, name and comm type from flags ----------------------------
cat >"$work/runtime.yaml" <<YAML
runtime:
  image: aistorage/runtime_python:3.11
  command: ['python3', '$here/etl_servers/reverse_server.py', '--port', '8000']
YAML
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[::-1] + b"xyz")' \
    "$work/shard.in" >"$work/shard.rev"
step "ais etl init --spec runtime.yaml --name rev-etl --comm-type hpush" \
    ais etl-init "$work/runtime.yaml" --name rev-etl --comm-type hpush --object-timeout 30s
step "ais etl object rev-etl transform/shard.in - --args xyz" \
    same "$work/shard.rev" ais etl-object rev-etl transform/shard.in --args xyz
step "ais etl init with a taken name fails" \
    fails ais etl-init "$work/runtime.yaml" --name rev-etl --comm-type hpush
step "ais etl rm rev-etl" ais etl-rm rev-etl

# --- errors: a transform that fails for some objects ---------------------------------------------
# Today's spec form again: an instance that answers 500 for objects starting with "bad".
cat >"$work/picky.yaml" <<YAML
name: picky-etl
communication: hpush://
runtime:
  image: python:3.11
  command: ['python3', '$here/etl_servers/reverse_server.py', '--port', '8000', '--fail-on', 'bad']
YAML
printf 'bad data\n' >"$work/bad.txt"
printf 'good data\n' >"$work/good.txt"
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[::-1])' \
    "$work/good.txt" >"$work/good.want"
step "ais bucket create ais://errs" ais bucket-create ais://errs
step "ais put bad.txt, good.txt errs/" sh -c "'$AISGO' put '$work/bad.txt' errs/bad.txt && '$AISGO' put '$work/good.txt' errs/good.txt"
step "ais etl init --spec picky.yaml (name and comm type in the spec)" ais etl-init "$work/picky.yaml"
step "ais etl object picky-etl errs/bad.txt fails" fails ais etl-object picky-etl errs/bad.txt
step "ais etl object picky-etl errs/good.txt" same "$work/good.want" ais etl-object picky-etl errs/good.txt
step "ais etl show errors picky-etl (the inline failure is listed)" \
    sh -c "'$AISGO' etl-show-errors picky-etl | grep -q '^ais://errs/bad.txt	'"
step "ais etl bucket picky-etl ais://errs ais://errs-out --cont-on-err --wait" \
    sh -c "'$AISGO' etl-bucket picky-etl ais://errs ais://errs-out --cont-on-err --wait >'$work/picky.out'"
pxid="$(head -1 "$work/picky.out")"
step "ais etl show errors picky-etl <job-id> (the job's failure is listed)" \
    sh -c "'$AISGO' etl-show-errors picky-etl '$pxid' | grep -q '^ais://errs/bad.txt	'"
printf 'good.txt\t10\n' >"$work/errs.want"
step "ais ls ais://errs-out (only the good object)" same "$work/errs.want" ais ls ais://errs-out
step "ais etl bucket without --cont-on-err fails on the bad object" \
    fails ais etl-bucket picky-etl ais://errs ais://errs-out2 --wait
step "ais etl rm picky-etl" ais etl-rm picky-etl

# --- seed-era forms Kiln keeps (AIS dropped them) ------------------------------------------------
cat >"$work/code.py" <<'PY'
import hashlib


def transform(input_bytes):
    md5 = hashlib.md5()
    md5.update(input_bytes)
    return md5.hexdigest().encode()
PY
cat >"$work/io.py" <<'PY'
import hashlib
import sys

md5 = hashlib.md5()
for chunk in iter(lambda: sys.stdin.buffer.read(65536), b""):
    md5.update(chunk)
sys.stdout.buffer.write(md5.hexdigest().encode())
PY
code_msg() { # name comm file: the old CLI's `ais etl init code` message
    printf '{"name":"%s","communication":"%s","runtime":"python3.11v2","code":"%s","init_timeout":"2m"}' \
        "$1" "$2" "$(b64 "$3")"
}
put_etl() { curl -sf -X PUT -H 'Content-Type: application/json' --data-binary "$1" "$url/v1/etl" >/dev/null; }
step "ais etl init code --from-file=code.py --runtime=python3.11v2 --comm-type hpull (old CLI)" \
    put_etl "$(code_msg transformer-md5 hpull:// "$work/code.py")"
step "ais etl object transformer-md5 (code, hpull)" \
    same "$work/shard.md5" ais etl-object transformer-md5 transform/shard.in
step "ais etl init code --comm-type io:// (old CLI)" put_etl "$(code_msg compute-md5 io:// "$work/io.py")"
step "ais etl object compute-md5 (code, io://)" \
    same "$work/big.md5" ais etl-object compute-md5 transform/data/big.bin
step "ais etl bucket compute-md5 (io://) --wait" \
    ais etl-bucket compute-md5 ais://transform ais://io-md5 --wait
step "ais get io-md5/shard.in (io:// bucket transform)" same "$work/shard.md5" ais get io-md5/shard.in
sed -e 's/name: transformer-md5/name: hrev-md5/' -e 's#"hpush://"#"hrev://"#' \
    -e "s#md5_server.py'#../../compat/etl_servers/reverse_server.py'#" \
    -e "s#'--listen', '127.0.0.1', ##" "$work/spec.yaml" >"$work/hrev.yaml"
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[::-1])' \
    "$work/shard.in" >"$work/shard.rev0"
step "ais etl init spec with communication_type hrev://" ais etl-init "$work/hrev.yaml"
step "ais etl object hrev-md5 (hrev://)" same "$work/shard.rev0" ais etl-object hrev-md5 transform/shard.in
sed -e 's/name: transformer-md5/name: seed-init/' "$work/spec.yaml" >"$work/seed.yaml"
step "POST /v1/etl/init (seed 001: raw pod YAML)" \
    curl -sf -X POST --data-binary @"$work/seed.yaml" "$url/v1/etl/init" -o /dev/null
step "GET /v1/etl/list (seed 001)" sh -c "curl -sf '$url/v1/etl/list' | grep -q seed-init"
step "GET ?uuid=seed-init (seed 001 inline)" \
    same "$work/shard.md5" curl -sf "$url/v1/objects/transform/shard.in?uuid=seed-init" -L
step "POST /v1/etl/build (seed 000: code with \"id\")" \
    curl -sf -X POST -H 'Content-Type: application/json' \
    --data-binary "{\"id\":\"built-md5\",\"communication\":\"hpush://\",\"runtime\":\"python3.11v2\",\"code\":\"$(b64 "$work/code.py")\"}" \
    "$url/v1/etl/build" -o /dev/null
step "ais etl object built-md5 (built from code)" \
    same "$work/shard.md5" ais etl-object built-md5 transform/shard.in
for n in transformer-md5 compute-md5 hrev-md5 seed-init built-md5; do
    step "ais etl rm $n" ais etl-rm "$n"
done
step "ais etl show (all removed)" same /dev/null ais etl-show

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
