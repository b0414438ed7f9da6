# The part of scripts/check-deb that runs inside the bare root, as root: $1 is the .deb, $PORT a
# free port for the proxy. Each step names what it proves; any failure ends the check.
deb="$1"
K="http://127.0.0.1:$PORT"
say() { echo "check-deb: $*" >&2; }
show_logs() { tail -n 20 /tmp/kiln-proxy.log /tmp/kiln-target.log >&2 || true; }

apt-get update -qq
apt-get install -y -qq "$deb" >/tmp/apt-install.log 2>&1 || { tail -n 30 /tmp/apt-install.log >&2; exit 1; }
say "apt-get install ./$(basename "$deb"): Depends resolved from Debian"
getent passwd kiln >/dev/null
[ "$(stat -c %U:%a /var/lib/kiln)" = "kiln:750" ]
dpkg-query -W -f='${Conffiles}\n' kilnd | grep -q /etc/kiln/proxy.yaml
say "user kiln, /var/lib/kiln (kiln, 0750) and the conffiles are there"

# The check's own tools, after the package (so they cannot have satisfied its Depends).
apt-get install -y -qq --no-install-recommends systemd curl >/tmp/apt-tools.log 2>&1 \
    || { tail -n 30 /tmp/apt-tools.log >&2; exit 1; }
# verify exits 0 on what it merely warns about (an unknown Type=, say): any output fails too.
verified="$(systemd-analyze verify kilnd-cluster.service kilnd-proxy.service kilnd-target@1.service 2>&1)" \
    || { echo "$verified" >&2; exit 1; }
[ -z "$verified" ] || { echo "$verified" >&2; say "systemd-analyze verify has findings"; exit 1; }
say "systemd-analyze verify: the three units pass"

runuser -u kiln -- /usr/bin/kilnd proxy --config /etc/kiln/proxy.yaml --port "$PORT" \
    >/tmp/kiln-proxy.log 2>&1 &
proxy=$!
runuser -u kiln -- /usr/bin/kilnd target --config /etc/kiln/target-1.yaml --proxy-url "$K" \
    >/tmp/kiln-target.log 2>&1 &
target=$!
joined=""
for _ in $(seq 300); do
    smap="$(curl -fsS "$K/v1/daemon?what=smap" 2>/dev/null || true)"
    if [[ "$smap" == *'"daemon_type":"target"'* ]]; then
        joined=1
        break
    fi
    sleep 0.1
done
[ -n "$joined" ] || { say "the target did not join within 30 s"; show_logs; exit 1; }
[ "$(stat -c %U /var/lib/kiln/target-1/mp1)" = kiln ]
curl -fsS -X POST "$K/v1/buckets/deb" -H 'Content-Type: application/json' -d '{"action":"create-bck"}'
echo "hello from the package" | curl -fsS -L -T - "$K/v1/objects/deb/hello.txt"
[ "$(curl -fsS -L "$K/v1/objects/deb/hello.txt")" = "hello from the package" ]
tgt="$(curl -sS -o /dev/null -w '%{redirect_url}' "$K/v1/objects/deb/hello.txt" | sed -E 's|^(https?://[^/]+).*|\1|')"
# (Whole answers into variables: grep -q closing the pipe early would fail curl under pipefail.)
proxy_metrics="$(curl -fsS "$K/metrics")"
target_metrics="$(curl -fsS "$tgt/metrics")"
grep -qE '^ais_proxy_put_count\{node_id="[^"]+"\} 1$' <<<"$proxy_metrics"
grep -qE '^ais_target_get_count\{node_id="[^"]+"\} 1$' <<<"$target_metrics"
say "kilnd ran as user kiln from /usr/bin with /etc/kiln/{proxy,target-1}.yaml: PUT, GET, /metrics"
kill -TERM "$target" "$proxy"
wait "$target" "$proxy" || true

apt-get remove -y -qq kilnd >/tmp/apt-remove.log 2>&1 || { cat /tmp/apt-remove.log >&2; exit 1; }
# (Each test on its own line: set -e ignores a failure before && and any negated with !.)
[ ! -e /usr/bin/kilnd ]
[ -f /etc/kiln/proxy.yaml ]
apt-get purge -y -qq kilnd >/tmp/apt-purge.log 2>&1 || { cat /tmp/apt-purge.log >&2; exit 1; }
[ ! -e /etc/kiln/proxy.yaml ]
[ ! -e /etc/default/kilnd-cluster ]
if getent passwd kiln >/dev/null; then say "purge left the kiln user"; exit 1; fi
if dpkg-query -W -f='${Status}' kilnd 2>/dev/null | grep -q installed; then exit 1; fi
say "remove kept the conffiles; purge removed them and the kiln user (the data stays, by design)"
