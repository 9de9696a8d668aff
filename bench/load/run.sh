#!/usr/bin/env bash
# bench/load/run.sh - the load benchmark: wrk -t2 -c100 against the appliance's guests and their peers.
#
#   bench/load/run.sh            the full matrix; writes load-DATE.{csv,md,svg} (and
#                                load-DATE-syscalls.{csv,md,svg} when the appliance has --admin-port)
#   bench/load/run.sh --quick    a small matrix in under 2 minutes (appliance, native C, plain Netty on
#                                the auto transport); writes load-quick.{csv,md,svg}
#   bench/load/run.sh --quick --gate
#                                also compares the ratios appliance/native-C and appliance/plain-Netty
#                                with bench/load/baseline.csv and exits 1 on a large regression (CI)
#   --out DIR        where to write (default: a new directory under ${TMPDIR:-/tmp}/wasix-bench/; give
#                    --out bench/results to record a figure in the repository)
#   --runs N         runs per figure (default 3)          --duration S  seconds measured per run
#   --only REGEX     only the servers whose id matches    -h, --help    this text
#   BENCH_IMAGE=DIR  the appliance image to measure (default image/target/appliance)
#   BENCH_BEFORE_IMAGE=DIR  also measure this older image's guests (rows before-*), for a before/after
#                    comparison in the same run
#   WARMUP, INTERP_WARMUP   seconds of load before measuring (default 8 and 2; --quick 5)
#   GATE_FACTOR      how far below its baseline a ratio may fall before the gate fails (default 0.5)
#   BUN_VERSION      the Bun release for its rows (default 1.4.5)
#   The report's "Command:" line repeats the options and every one of these variables that was set.
#
# Workloads: close-per-request (every request says "Connection: close": one connection per request) and
# keep-alive (wrk's default). Servers:
#   appliance-hello, appliance-keepalive    our bundled guests, compiled at build time, per transport
#   ...-interp                               the same in Chicory's interpreter, for reference
#   plain-netty                              io.wasix.bench.load.PlainNettyServer: the same server on Netty,
#                                            no wasm, same transport, one event-loop thread
#   appliance-noread                         bench/src/main/resources/guests/noread.wat: the hand-written shape
#                                            (accept, send, shutdown, close; the request is never read),
#                                            loaded as a user module (compiled at load time)
#   c-blocking, c-epoll, c-noread            bench/load/servers/*.c, built here with gcc
#   node, bun                                servers/node.js, servers/bun.js; Bun comes from the npm package
#                                            @oven/bun-linux-x64 into bench/.cache (ignored by git)
# Beside each rate, the CPU the server spent per request over the same wrk run (utime+stime from /proc, for
# the whole process and for its busiest thread: the appliance's shard thread, Netty's event loop, the C
# server's one thread), which moves far less than req/s when other work shares the cores. The full run also
# counts the syscalls per close-per-request request of each server's busiest thread (strace -c on that
# thread during one wrk run; needs strace).
# Every figure is the median of --runs runs; each run starts its server fresh on a free 127.0.0.1 port,
# warms it up with wrk for a few seconds, measures, and stops it by pid. Each run holds
# /tmp/wasix-bench.lock (BENCH_LOCK) for its whole length, so only one measurement runs at a time on this
# machine. BENCH_PORTS=LO-HI keeps the servers in a port range (default: ports the kernel picks).
#
# Needs: the build (mvn -B -q package -DskipTests: the image and bench/target/classes), wrk, gcc and python3; in full
# mode also node, npm (for Bun) and curl (for the syscall chart).
set -euo pipefail

# The exact command, with the variables that shape it, for the report.
quote() { if [[ $1 =~ [^A-Za-z0-9_./:=,+-] ]]; then printf "'%s'" "${1//\'/\'\\\'\'}"; else printf '%s' "$1"; fi; }
COMMAND="bench/load/run.sh"
for arg in "$@"; do COMMAND+=" $(quote "$arg")"; done
for v in GATE_FACTOR BUN_VERSION INTERP_WARMUP WARMUP BENCH_LOCK BENCH_BEFORE_IMAGE BENCH_IMAGE BENCH_PORTS; do
    [[ -n "${!v:-}" ]] && COMMAND="$v=$(quote "${!v}") $COMMAND"
done
BENCH_NAME=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
HERE="$ROOT/bench/load"
JAVA="$IMAGE/bin/java"
BENCH_CP="$ROOT/bench/target/classes:$IMAGE/lib/app/wasm-host.jar"
BUN_VERSION="${BUN_VERSION:-1.4.5}"
GATE_FACTOR="${GATE_FACTOR:-0.5}"

QUICK=0 GATE=0 OUT="" RUNS=3 DURATION="" ONLY=""
while (($#)); do
    case "$1" in
        --quick) QUICK=1 ;;
        --gate) GATE=1 ;;
        --out) OUT="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --only) ONLY="$2"; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
((RUNS >= 1)) || { echo "run.sh: --runs wants at least 1" >&2; exit 2; }
# The JVM servers need seconds of load before C2 has compiled their hot paths (and the guest's); measured
# here, the appliance's rate still rose between 5 s and 10 s of load. The interpreter needs little.
if ((QUICK)); then
    WARMUP="${WARMUP:-5}"; DURATION="${DURATION:-2}"
else
    WARMUP="${WARMUP:-8}"; DURATION="${DURATION:-5}"
fi
OUT="${OUT:-${TMPDIR:-/tmp}/wasix-bench/load-$(date -u +%Y%m%d-%H%M%S)}"
INTERP_WARMUP="${INTERP_WARMUP:-2}"
if ((QUICK)); then BASE="$OUT/load-quick"; else BASE="$OUT/load-$DATE"; fi
mkdir -p "$OUT"

loud() {
    say ""
    say "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    for line in "$@"; do say "!!! $line"; done
    say "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    say ""
}

# ---- what we need ---------------------------------------------------------------------------------
[[ -x "$APPLIANCE" && -d "$ROOT/bench/target/classes/io/wasix/bench/load" ]] \
    || die "no build: run 'mvn -B -q package -DskipTests' first (want $APPLIANCE and bench/target/classes)"
for tool in wrk gcc python3; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install $tool)"
done

for src in blocking epoll_keepalive noread; do
    build_c "$src" "$HERE/servers/$src.c" -D_GNU_SOURCE >/dev/null
done

BUN=""
install_bun() {
    local dir="$CACHE/bun-$BUN_VERSION" pkg
    for pkg in bun-linux-x64 bun-linux-x64-baseline; do
        local bin="$dir/node_modules/@oven/$pkg/bin/bun"
        if [[ ! -x "$bin" ]] && command -v npm >/dev/null; then
            npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
                "@oven/$pkg@$BUN_VERSION" >&2 || true
        fi
        # The baseline build is for CPUs without AVX2, where the default one dies on its first instruction.
        if [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; then
            BUN="$bin"
            return 0
        fi
    done
    return 1
}

# ---- servers ---------------------------------------------------------------------------------------
# A server id: appliance-GUEST[-interp][-shardsN]@TRANSPORT, plain-netty@TRANSPORT, c-blocking, c-epoll,
# node, bun. start_server ID PORT LOG sets SERVER_PID.
start_server() {
    local id="$1" port="$2" log="$3" name="${1%@*}" transport=""
    [[ "$1" == *@* ]] && transport="${1#*@}"
    case "$name" in
        appliance-*)
            local guest="${name#appliance-}" flags=(--transport "$transport")
            if [[ "$guest" == *-shards* ]]; then flags+=(--shards "${guest##*-shards}"); guest="${guest%-shards*}"; fi
            if [[ "$guest" == *-interp ]]; then flags+=(--interpreter); guest="${guest%-interp}"; fi
            [[ "$guest" == noread ]] && guest="$ROOT/bench/src/main/resources/guests/noread.wasm"
            PORT="$port" APPLIANCE_ENV="HOST=127.0.0.1" "$APPLIANCE" run "${flags[@]}" "$guest" >"$log" 2>&1 &
            ;;
        before-*)
            local bguest="${name#before-}"
            [[ "$bguest" == noread ]] && bguest="$ROOT/bench/src/main/resources/guests/noread.wasm"
            PORT="$port" APPLIANCE_ENV="HOST=127.0.0.1" "$BEFORE_IMAGE/bin/appliance" run --transport "$transport" \
                "$bguest" >"$log" 2>&1 &
            ;;
        plain-netty) "$JAVA" -cp "$BENCH_CP" io.wasix.bench.load.PlainNettyServer "$transport" "$port" 127.0.0.1 >"$log" 2>&1 & ;;
        c-blocking) "$CACHE/bin/blocking" "$port" 127.0.0.1 >"$log" 2>&1 & ;;
        c-epoll) "$CACHE/bin/epoll_keepalive" "$port" 127.0.0.1 >"$log" 2>&1 & ;;
        c-noread) "$CACHE/bin/noread" "$port" 127.0.0.1 >"$log" 2>&1 & ;;
        node) node "$HERE/servers/node.js" "$port" 127.0.0.1 >"$log" 2>&1 & ;;
        bun) "$BUN" "$HERE/servers/bun.js" "$port" 127.0.0.1 >"$log" 2>&1 & ;;
        *) die "unknown server $id" ;;
    esac
    SERVER_PID=$!
    wait_http "$port" "$SERVER_PID"
}
trap stop_server EXIT

# run_wrk WORKLOAD SECONDS PORT: one wrk run, its report on stdout
run_wrk() {
    local extra=()
    [[ "$1" == close ]] && extra=(-H "Connection: close")
    wrk -t2 -c100 -d"$2s" "${extra[@]}" "http://127.0.0.1:$3/" 2>&1 || true
}

CLK_TCK="$(getconf CLK_TCK)"
# The JVM's own threads (JIT compilers, GC, VM): never "the busiest thread", which is meant to be the one
# serving requests (the shard thread, Netty's event loop), even while C2 still compiles under load.
JVM_THREADS='CompilerThre|^GC_Thread|^G1_|^VM_'

# cpu_per_request BEFORE AFTER REQUESTS: "PROCESS_US THREAD_US THREAD_NAME", CPU microseconds per request
# for the whole process (threads alive at both ends) and its busiest thread.
cpu_per_request() {
    awk -v req="$3" -v tck="$CLK_TCK" -v JVM="$JVM_THREADS" '
        FNR == NR { before[$1] = $3; next }
        ($1 in before) { d = $3 - before[$1]; total += d; if (d > best && $2 !~ JVM) { best = d; name = $2 } }
        END { if (req > 0) printf "%.1f %.1f %s\n", total * 1e6 / tck / req, best * 1e6 / tck / req, name }
    ' <(echo "$1") <(echo "$2")
}

# measure_series ID WORKLOAD COUNT: starts the server, warms it up, measures COUNT runs back to back and
# stops it; sets RATES (one req/s per run), CPUS ("PROCESS_US THREAD_US NAME" per run) and ERRORS, or fails
# when the server does not start. Holds the lock throughout. Not run in a subshell, so the EXIT trap can
# still stop its server.
measure_series() {
    local id="$1" workload="$2" count="$3" port log out warm="$WARMUP" rps before after reqs
    [[ "$id" == *-interp* ]] && warm="$INTERP_WARMUP"
    port="$(free_port)"
    log="$(mktemp "${TMPDIR:-/tmp}/load-server.XXXXXX")"
    bench_lock
    if ! start_server "$id" "$port" "$log"; then
        bench_unlock
        say "run.sh: $id did not start: $(tail -3 "$log" | tr '\n' ' ')"
        rm -f "$log"
        return 1
    fi
    run_wrk "$workload" "$warm" "$port" >/dev/null
    RATES=() CPUS=() ERRORS=0
    for ((j = 0; j < count; j++)); do
        before="$(thread_ticks "$SERVER_PID")"
        out="$(run_wrk "$workload" "$DURATION" "$port")"
        after="$(thread_ticks "$SERVER_PID")"
        rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
        [[ -n "$rps" ]] || { say "run.sh: wrk printed no rate for $id: $out"; break; }
        RATES+=("$rps")
        reqs="$(awk '/ requests in / {print $1}' <<<"$out")"
        CPUS+=("$(cpu_per_request "$before" "$after" "$reqs")")
        ERRORS=$((ERRORS + $(awk '/Socket errors:/ {gsub(/,/, ""); s += $4 + $6 + $8 + $10} /Non-2xx/ {s += $NF} END {print s + 0}' <<<"$out")))
    done
    stop_server
    bench_unlock
    rm -f "$log"
    ((${#RATES[@]} == count))
}


CSV="$BASE.csv"
echo "workload,server,transport,runs,median_req_per_sec,errors,cpu_us_per_req,busiest_thread_us_per_req,busiest_thread" >"$CSV"

# measure ID WORKLOAD: one CSV row with the median of RUNS runs. Full mode starts the server fresh for every
# run; quick mode starts it once and measures RUNS runs back to back after one warm-up.
measure() {
    local id="$1" workload="$2" rates=() cpus=() errs=0
    if [[ -n "$ONLY" && ! "$id" =~ $ONLY ]]; then return 0; fi
    local series=1 per=$RUNS
    ((QUICK)) || { series=$RUNS; per=1; }
    for ((i = 1; i <= series; i++)); do
        if ! measure_series "$id" "$workload" "$per"; then
            loud "SKIPPED $id ($workload): the server did not start or wrk failed; see above"
            echo "$workload,${id%@*},${id#*@},,unavailable,," >>"$CSV"
            return 0
        fi
        rates+=("${RATES[@]}")
        cpus+=("${CPUS[@]}")
        errs=$((errs + ERRORS))
    done
    local med transport="-" cpu_p cpu_t thread
    med="$(echo "${rates[*]}" | median)"
    cpu_p="$(printf '%s\n' "${cpus[@]}" | awk '{print $1}' | median || true)"
    cpu_t="$(printf '%s\n' "${cpus[@]}" | awk '{print $2}' | median || true)"
    thread="$(printf '%s\n' "${cpus[@]}" | awk '{print $3}' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')"
    [[ "$id" == *@* ]] && transport="${id#*@}"
    say "$(printf '%-10s %-36s median %10.0f req/s  runs: %s  errors: %s  cpu/req: %s us (busiest thread %s: %s us)' \
        "$workload" "$id" "$med" "${rates[*]}" "$errs" "$cpu_p" "$thread" "$cpu_t")"
    echo "$workload,${id%@*},$transport,${rates[*]},$med,$errs,$cpu_p,$cpu_t,$thread" >>"$CSV"
}

# The transport the appliance picks by itself here (io_uring, else epoll, else NIO).
auto_transport() {
    local port log t
    port="$(free_port)"
    log="$(mktemp "${TMPDIR:-/tmp}/load-probe.XXXXXX")"
    PORT="$port" APPLIANCE_ENV="HOST=127.0.0.1" "$APPLIANCE" run hello >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 300); do grep -q '^appliance: ' "$log" && break; sleep 0.05; done
    stop_server
    t="$(sed -n 's/^appliance: .* started on \([a-z_]*\),.*/\1/p' "$log" | head -1)"
    rm -f "$log"
    [[ -n "$t" ]] || die "the appliance did not start (probe)"
    echo "$t"
}

AUTO="$(auto_transport)"
say "run.sh: the appliance picks $AUTO here; results go to $BASE.*"

# ---- the matrix ------------------------------------------------------------------------------------
if ((QUICK)); then
    TRANSPORTS=("$AUTO")
else
    TRANSPORTS=(io_uring epoll nio)
    install_bun || loud "Bun could not be installed from npm (@oven/bun-linux-x64@$BUN_VERSION): its rows are SKIPPED"
fi

for t in "${TRANSPORTS[@]}"; do
    measure "appliance-hello@$t" close
    measure "plain-netty@$t" close
done
[[ -n "$BEFORE_IMAGE" ]] && measure "before-hello@$AUTO" close
measure c-blocking close
if ((!QUICK)); then
    for t in "${TRANSPORTS[@]}"; do measure "appliance-noread@$t" close; done
    [[ -n "$BEFORE_IMAGE" ]] && measure "before-noread@$AUTO" close
    measure c-noread close
    measure c-epoll close
    measure node close
    [[ -n "$BUN" ]] && measure bun close
    for t in "${TRANSPORTS[@]}"; do measure "appliance-hello-interp@$t" close; done
fi
for t in "${TRANSPORTS[@]}"; do
    measure "appliance-keepalive@$t" keepalive
    measure "plain-netty@$t" keepalive
done
[[ -n "$BEFORE_IMAGE" ]] && measure "before-keepalive@$AUTO" keepalive
measure c-epoll keepalive
if ((!QUICK)); then
    measure node keepalive
    [[ -n "$BUN" ]] && measure bun keepalive
    for t in "${TRANSPORTS[@]}"; do measure "appliance-keepalive-interp@$t" keepalive; done
    # --shards 2 against the one-shard rows above, same transport
    measure "appliance-hello-shards2@$AUTO" close
    measure "appliance-keepalive-shards2@$AUTO" keepalive
fi

# ---- report ----------------------------------------------------------------------------------------
# rate WORKLOAD SERVER TRANSPORT -> the median, or empty
rate() { awk -F, -v w="$1" -v s="$2" -v t="$3" '$1 == w && $2 == s && $3 == t && $5 != "unavailable" {print $5}' "$CSV"; }
ratio() { if [[ -n "$1" && -n "$2" ]]; then awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b}'; fi; }

MD="$BASE.md"
{
    echo "# Load benchmark, $STAMP"
    echo
    if ((QUICK)); then
        echo "Command: \`$COMMAND\` (wrk -t2 -c100 against servers bound to 127.0.0.1; each server started once,"
        echo "warmed up for ${WARMUP} s, then $RUNS runs of ${DURATION} s; the median is shown)."
    else
        echo "Command: \`$COMMAND\` (wrk -t2 -c100; every run on a freshly started server bound to 127.0.0.1,"
        echo "${WARMUP} s of warm-up load (${INTERP_WARMUP} s for the interpreter), then ${DURATION} s measured; median of $RUNS runs)."
    fi
    [[ -n "$BEFORE_IMAGE" ]] && echo "Rows \`before-*\`: the guests on an older build ($BEFORE_IMAGE), measured in this same run."
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r)."
    echo "wrk runs on the same two cores as the server, and other engineers' work shares them: compare ratios"
    echo "within this run, not absolute numbers across runs. The appliance picks **$AUTO** here."
    echo "CPU µs/request: user + system CPU time (from /proc/PID/task/*/stat, 10 ms ticks) over each measured run,"
    echo "divided by the requests wrk completed, for the server process and for its busiest thread (median of"
    echo "the runs); wrk's own CPU is not in it."
    echo
    for w in close keepalive; do
        case "$w" in
            close) echo "## close-per-request (\`Connection: close\` on every request)"; peer=c-blocking ;;
            keepalive) echo "## keep-alive"; peer=c-epoll ;;
        esac
        echo
        echo "| server | transport | req/s (median) | runs | vs native C ($peer) | vs plain Netty, same transport | vs Bun | CPU us/req (process) | CPU us/req (busiest thread) | wrk errors |"
        echo "|---|---|---:|---|---:|---:|---:|---:|---:|---:|"
        native="$(rate "$w" "$peer" -)"
        bun="$(rate "$w" bun -)"
        while IFS=, read -r wl server transport runs med errs cpu_p cpu_t thread; do
            [[ "$wl" == "$w" ]] || continue
            if [[ "$med" == unavailable ]]; then
                echo "| $server | $transport | unavailable | | | | | | | |"
                continue
            fi
            netty="" mine="$native"
            [[ "$transport" != - ]] && netty="$(rate "$w" plain-netty "$transport")"
            # the hand-written shape is compared with the same shape in C
            [[ "$server" == *noread ]] && mine="$(rate "$w" c-noread -)"
            printf '| %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n' "$server" "$transport" "$med" "$runs" \
                "$(ratio "$med" "$mine")$([[ "$server" == *noread && "$server" != c-noread ]] && echo ' (c-noread)')" \
                "$( [[ $server != plain-netty && $server != *noread ]] && ratio "$med" "$netty")" \
                "$(ratio "$med" "$bun")" "$cpu_p" "${cpu_t:+$cpu_t ($thread)}" "$errs"
        done < <(tail -n +2 "$CSV")
        echo
    done
    one_h="$(rate close appliance-hello "$AUTO")"; two_h="$(rate close appliance-hello-shards2 "$AUTO")"
    one_k="$(rate keepalive appliance-keepalive "$AUTO")"; two_k="$(rate keepalive appliance-keepalive-shards2 "$AUTO")"
    if [[ -n "$two_h$two_k" ]]; then
        echo "## --shards 2 vs --shards 1 ($AUTO)"
        echo
        echo "| guest | workload | shards 1 | shards 2 | 2 / 1 |"
        echo "|---|---|---:|---:|---:|"
        [[ -n "$two_h" ]] && printf '| hello | close | %.0f | %.0f | %s |\n' "$one_h" "$two_h" "$(ratio "$two_h" "$one_h")"
        [[ -n "$two_k" ]] && printf '| keepalive | keep-alive | %.0f | %.0f | %s |\n' "$one_k" "$two_k" "$(ratio "$two_k" "$one_k")"
        echo
        echo "This machine has 2 cores and wrk's two threads run on them too, so a second shard mostly takes"
        echo "CPU from wrk and from the first shard: this is no measure of how shards scale on a bigger machine."
        echo
    fi
} >"$MD"

# ---- the bar chart ---------------------------------------------------------------------------------
# Sized to its text (the label column fits the longest label), with a legend for the colours. Check a
# change rendered: rsvg-convert FILE.svg -o FILE.png.
SVG="$BASE.svg"
awk -F, -v title="req/s per server, wrk -t2 -c100, median of $RUNS ($STAMP)" '
    function esc(t) { gsub(/&/, "\\&amp;", t); gsub(/</, "\\&lt;", t); return t }
    function kind(l) { return l ~ /^appliance/ ? 1 : (l ~ /^before/ ? 2 : (l ~ /^plain-netty/ ? 3 : 4)) }
    NR == 1 || $5 == "unavailable" { next }
    {
        n++; w[n] = $1; label[n] = $2 ($3 == "-" ? "" : " (" $3 ")"); v[n] = $5; cpu[n] = $7
        if ($5 > max[$1]) max[$1] = $5
        if (length(label[n]) > longest) longest = length(label[n])
        seen[kind(label[n])] = 1
    }
    END {
        colour[1] = "#2b6cb0"; colour[2] = "#90cdf4"; colour[3] = "#9f7aea"; colour[4] = "#718096"
        name[1] = "the appliance (guest in wasm)"; name[2] = "the appliance, older build (before-*)"
        name[3] = "plain Netty, no wasm"; name[4] = "peers: native C, Node, Bun"
        bar = 22; left = int(longest * 7.4) + 24; width = 520; y = 78; h = y + n * (bar + 6) + 2 * 40
        printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n", left + width + 230, h
        printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
        printf "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", esc(title)
        lx = 10
        for (k = 1; k <= 4; k++) {
            if (!(k in seen)) continue
            printf "<rect x=\"%d\" y=\"38\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", lx, colour[k]
            printf "<text x=\"%d\" y=\"50\">%s</text>\n", lx + 20, esc(name[k])
            lx += 20 + int(length(name[k]) * 7.4) + 24
        }
        split("close keepalive", ws, " ")
        for (k = 1; k <= 2; k++) {
            wl = ws[k]
            if (!(wl in max)) continue
            printf "<text x=\"10\" y=\"%d\" font-weight=\"bold\">%s</text>\n", y + 10, (wl == "close" ? "close-per-request" : "keep-alive")
            y += 22
            for (i = 1; i <= n; i++) {
                if (w[i] != wl) continue
                len = max[wl] > 0 ? v[i] / max[wl] * width : 0
                printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, y + bar - 6, esc(label[i])
                printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", left, y, len, bar, colour[kind(label[i])]
                printf "<text x=\"%.1f\" y=\"%d\">%d req/s%s</text>\n", left + len + 6, y + bar - 6, v[i], (cpu[i] == "" ? "" : ", " cpu[i] " µs CPU/req")
                y += bar + 6
            }
            y += 18
        }
        print "</svg>"
    }' "$CSV" >"$SVG"

# ---- time per syscall (needs the appliance's --admin-port) -----------------------------------------
syscall_step() {
    if ! "$APPLIANCE" --help 2>&1 | grep -q -- '--admin-port'; then
        loud "SYSCALL CHART SKIPPED: this appliance has no --admin-port yet, so it serves no" \
             "wasix_syscall_seconds_total / wasix_syscall_calls_total to chart."
        {
            echo "## Time per syscall"
            echo
            echo "**Skipped**: the appliance built here has no \`--admin-port\`, which serves the metrics this chart reads."
            echo
        } >>"$MD"
        return 0
    fi
    local csv="$BASE-syscalls.csv" svg="$BASE-syscalls.svg"
    echo "workload,guest,syscall,calls,seconds,ns_per_call" >"$csv"
    for spec in "close hello" "keepalive keepalive"; do
        local workload="${spec% *}" guest="${spec#* }" port admin log
        port="$(free_port)"
        admin="$(free_port)"
        [[ "$admin" == "$port" ]] && admin=$((port + 1))
        log="$(mktemp "${TMPDIR:-/tmp}/load-metrics.XXXXXX")"
        bench_lock
        PORT="$port" APPLIANCE_ENV="HOST=127.0.0.1" "$APPLIANCE" run --admin-port "127.0.0.1:$admin" "$guest" >"$log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 600); do http_ok "$port" && break; sleep 0.05; done
        run_wrk "$workload" "$WARMUP" "$port" >/dev/null
        run_wrk "$workload" "$DURATION" "$port" >/dev/null
        curl -s -m 5 "http://127.0.0.1:$admin/metrics" >"$log.metrics" || true
        stop_server
        bench_unlock
        awk -v w="$workload" -v g="$guest" '
            /^wasix_syscall_(seconds|calls)_total\{/ {
                match($0, /syscall="[^"]*"/); name = substr($0, RSTART + 9, RLENGTH - 10)
                if ($0 ~ /^wasix_syscall_seconds_total/) sec[name] += $NF; else calls[name] += $NF
            }
            END { for (s in calls) if (calls[s] > 0) printf "%s,%s,%s,%d,%.6f,%.0f\n", w, g, s, calls[s], sec[s], sec[s] / calls[s] * 1e9 }' \
            "$log.metrics" | sort -t, -k5 -g -r >>"$csv"
        if ! grep -q "^$workload," "$csv"; then
            loud "SYSCALL CHART: /metrics on 127.0.0.1:$admin gave no wasix_syscall_* samples for $guest"
        fi
        rm -f "$log" "$log.metrics"
    done
    awk -F, -v title="time in the host per syscall under wrk (${DURATION} s), seconds summed over shards" '
        NR == 1 { next }
        { n++; w[n] = $1; label[n] = $2 ": " $3; sec[n] = $5; ns[n] = $6; if ($5 > max) max = $5 }
        END {
            bar = 20; left = 260; width = 480; h = 50 + n * (bar + 6)
            printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n", left + width + 200, h
            printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            printf "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", title
            y = 40
            for (i = 1; i <= n; i++) {
                len = max > 0 ? sec[i] / max * width : 0
                printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, y + bar - 5, label[i]
                printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#2b6cb0\"/>\n", left, y, len, bar
                printf "<text x=\"%.1f\" y=\"%d\">%.3f s, %d ns/call</text>\n", left + len + 6, y + bar - 5, sec[i], ns[i]
                y += bar + 6
            }
            print "</svg>"
        }' "$csv" >"$svg"
    {
        echo "## Time per syscall (from --admin-port /metrics)"
        echo
        echo "| workload | guest | syscall | calls | seconds in host | ns per call |"
        echo "|---|---|---|---:|---:|---:|"
        tail -n +2 "$csv" | awk -F, '{printf "| %s | %s | %s | %d | %.3f | %d |\n", $1, $2, $3, $4, $5, $6}'
        echo
        echo "Chart: $(basename "$svg")"
        echo
    } >>"$MD"
}
((QUICK)) || syscall_step

# ---- syscalls per request (strace -c on each server's busiest thread) ------------------------------
# strace stops the traced thread at every syscall, so the rates under it mean nothing; the counts per
# request do (a slower server batches more connections per io_uring_enter or epoll_wait, if anything, so
# these are not flattering to the appliance).
strace_step() {
    if ! command -v strace >/dev/null; then
        loud "SYSCALL COUNTS SKIPPED: strace not found (apt-get install strace)"
        return 0
    fi
    local csv="$BASE-strace.csv" ids=() id
    echo "server,transport,requests,syscalls,syscalls_per_request,per_request_by_syscall" >"$csv"
    for t in "${TRANSPORTS[@]}"; do ids+=("appliance-hello@$t" "appliance-noread@$t"); done
    ids+=(c-blocking c-noread "plain-netty@$AUTO")
    [[ -n "$BEFORE_IMAGE" ]] && ids+=("before-hello@$AUTO" "before-noread@$AUTO")
    for id in "${ids[@]}"; do
        if [[ -n "$ONLY" && ! "$id" =~ $ONLY ]]; then continue; fi
        local port log out before after tid spid reqs transport="-"
        [[ "$id" == *@* ]] && transport="${id#*@}"
        port="$(free_port)"
        log="$(mktemp "${TMPDIR:-/tmp}/load-strace.XXXXXX")"
        bench_lock
        if ! start_server "$id" "$port" "$log"; then
            bench_unlock
            loud "SYSCALL COUNT SKIPPED for $id: the server did not start"
            rm -f "$log"
            continue
        fi
        run_wrk close "$WARMUP" "$port" >/dev/null
        before="$(thread_ticks "$SERVER_PID")"
        run_wrk close 2 "$port" >/dev/null
        after="$(thread_ticks "$SERVER_PID")"
        tid="$(awk -v JVM="$JVM_THREADS" 'FNR == NR { b[$1] = $3; next } ($1 in b) { d = $3 - b[$1]; if (d > best && $2 !~ JVM) { best = d; t = $1 } } END { print t }' \
            <(echo "$before") <(echo "$after"))"
        strace -c -q -p "$tid" -o "$log.strace" &
        spid=$!
        sleep 1
        out="$(run_wrk close "$DURATION" "$port")"
        kill -INT "$spid" 2>/dev/null || true
        wait "$spid" 2>/dev/null || true
        stop_server
        bench_unlock
        reqs="$(awk '/ requests in / {print $1}' <<<"$out")"
        awk -v id="${id%@*}" -v t="$transport" -v req="$reqs" '
            $1 ~ /^[0-9.]+$/ && $NF == "total" { total = $4 }
            $1 ~ /^[0-9.]+$/ && $NF != "total" { by = by sprintf("%s%s %.2f", (by == "" ? "" : "; "), $NF, $4 / req) }
            END { if (req > 0) printf "%s,%s,%d,%d,%.2f,%s\n", id, t, req, total, total / req, by }
        ' "$log.strace" >>"$csv"
        rm -f "$log" "$log.strace"
    done
    {
        echo "## Syscalls per close-per-request request (strace -c on the busiest thread)"
        echo
        echo "Each server was warmed up, then its busiest thread over a 2 s wrk run was traced with \`strace -c -p TID\`"
        echo "for one ${DURATION} s wrk run; the counts are divided by the requests wrk completed in that run."
        echo
        echo "| server | transport | requests | syscalls per request | per request, by syscall |"
        echo "|---|---|---:|---:|---|"
        tail -n +2 "$csv" | awk -F, '{printf "| %s | %s | %d | %.2f | %s |\n", $1, $2, $3, $5, $6}'
        echo
    } >>"$MD"
}
((QUICK)) || strace_step

say ""
cat "$MD" >&2
say "run.sh: wrote $CSV, $MD and $SVG"

# ---- the CI gate -----------------------------------------------------------------------------------
if ((GATE)); then
    BASELINE="$HERE/baseline.csv"
    [[ -f "$BASELINE" ]] || die "no baseline at $BASELINE"
    fail=0
    say ""
    say "Gate: each ratio must stay above $GATE_FACTOR x its baseline (bench/load/baseline.csv); absolute rates never fail."
    while IFS=, read -r metric workload server peer base _; do
        [[ "$metric" == metric || "$metric" == \#* || -z "$metric" ]] && continue
        mine="$(rate "$workload" "$server" "$AUTO")"
        case "$peer" in
            plain-netty) theirs="$(rate "$workload" plain-netty "$AUTO")" ;;
            *) theirs="$(rate "$workload" "$peer" -)" ;;
        esac
        now="$(ratio "$mine" "$theirs")"
        if [[ -z "$now" ]]; then
            say "  FAIL $metric: not measured (see above)"
            fail=1
            continue
        fi
        floor="$(awk -v b="$base" -v f="$GATE_FACTOR" 'BEGIN {printf "%.2f", b * f}')"
        if awk -v n="$now" -v f="$floor" 'BEGIN {exit !(n < f)}'; then
            say "  FAIL $metric = $now (baseline $base, floor $floor)"
            fail=1
        else
            say "  ok   $metric = $now (baseline $base, floor $floor)"
        fi
    done <"$BASELINE"
    ((fail == 0)) || { say "run.sh: load gate FAILED: a ratio fell far below its baseline"; exit 1; }
    say "run.sh: load gate passed"
fi
