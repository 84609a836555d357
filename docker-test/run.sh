#!/bin/sh
# usage: docker-test/run.sh          (make docker-test; root)
#
# gorunit under a real container engine. Installs docker.io and tini with
# apt-get if missing, starts its own dockerd (vfs storage, no iptables, no
# bridge; data, exec root, pid file and socket under .cache/docker), builds
# the images FROM scratch (no registry is needed), runs the scenarios below
# against gorunit and, as references, tini (Debian's tini-static) in front
# of runsvdir and Debian's C runit, prints a table of what it measured
# (also in .cache/docker/results.txt), and stops dockerd by its pid.
# Every wait has a deadline. Where dockerd cannot start it says why and
# exits 0 (skipped). Exit 1 if a check on gorunit failed.
#
# The images: gorunit-example (docker-test/Dockerfile, as `make image`),
# gorunit-tini (same tree, tini -- runsvdir -P /etc/service), gorunit-crunit
# (same tree, Debian's runit binaries with libc copied in and three-line
# stage scripts), gorunit-exit5 (gorunit with an /etc/runit/2 that exits 5),
# gorunit-perproc and gorunit-untagged (/etc/service/.per-process: runit's
# tree of runsvdir and runsv processes instead of the default one-process
# shape; /etc/service/.untagged), gorunit-main (a service with
# main-service), and gorunit-ten, -ten-perproc, -ten-tini, -ten-crunit (ten
# services, for docker stats).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 111
cache=$top/.cache/docker
docker=/usr/bin/docker
dockerd=/usr/sbin/dockerd
oracle=$top/.cache/oracle/runit
export DOCKER_HOST="unix://$cache/docker.sock"
export DOCKER_BUILDKIT=0
mkdir -p "$cache"
res=$cache/results.txt
: >"$res"
failed=0

start=$(date +%s)
say() { echo "docker-test: [$(($(date +%s) - start)) s] $*"; }
skip() { say "SKIP: $*"; exit 0; }
ok() { say "ok   $*"; }
bad() { say "FAIL $*"; failed=1; }
note() { echo "$*" >>"$res"; }

# d runs the docker client with a deadline (60 s unless D_T says).
d() { timeout -k 5 "${D_T:-60}" "$docker" "$@"; }

# until_ SECONDS CMD...: runs CMD every 0.2 s until it succeeds; false
# after SECONDS.
until_() {
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# --- engine ---------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then skip "needs root"; fi
if [ ! -x "$dockerd" ] || [ ! -x "$docker" ] || { [ ! -x /usr/bin/tini-static ] && [ ! -x /usr/bin/tini ]; }; then
	say "installing docker.io and tini"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io tini; } >"$cache/apt.log" 2>&1 ||
		skip "apt-get install docker.io tini failed (see $cache/apt.log)"
fi
tini=/usr/bin/tini-static
[ -x "$tini" ] || tini=/usr/bin/tini
for b in runit runit-init runsvdir runsv sv svlogd chpst; do
	[ -x "bin/$b" ] || { say "bin/$b missing: run make build"; exit 111; }
done
[ -x .cache/oracle/busybox/bin/busybox ] && [ -x "$oracle/sbin/runit" ] || { say "oracle missing: run make oracle"; exit 111; }

pidfile=$cache/dockerd.pid
stop_dockerd() {
	[ -f "$pidfile" ] || return 0
	p=$(cat "$pidfile")
	kill -TERM "$p" 2>/dev/null || { rm -f "$pidfile"; return 0; }
	n=100
	while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	kill -KILL "$p" 2>/dev/null
	rm -f "$pidfile"
}
stop_dockerd # a leftover of an earlier run, by its pid file
mkdir -p "$cache/data" "$cache/exec"
"$dockerd" --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
	--data-root "$cache/data" --exec-root "$cache/exec" --pidfile "$pidfile" \
	-H "$DOCKER_HOST" >"$cache/dockerd.log" 2>&1 &
dpid=$!
trap 'd rm -f $(d ps -aq) >/dev/null 2>&1; stop_dockerd' EXIT
trap 'exit 130' INT TERM
if ! until_ 60 "$docker" version; then
	kill "$dpid" 2>/dev/null
	say "dockerd did not start; its last words:"
	tail -5 "$cache/dockerd.log" | sed 's/^/    /'
	skip "no container engine"
fi
d rm -f $(d ps -aq) >/dev/null 2>&1

# --- images ---------------------------------------------------------------
# The README's Dockerfile is docker-test/Dockerfile without its comments.
if [ "$(sed -n '/^```Dockerfile$/,/^```$/p' README.md | sed '1d;$d')" = "$(grep -v '^#' docker-test/Dockerfile)" ]; then
	ok "README's Dockerfile is docker-test/Dockerfile"
else
	bad "README's Dockerfile differs from docker-test/Dockerfile"
fi
say "building images"
./docker-test/image.sh gorunit-example >/dev/null || { bad "make image"; exit 1; }
ctx=$cache/ctx2
rm -rf "$ctx"
mkdir -p "$ctx/tini/sbin" "$ctx/crunit/sbin" "$ctx/crunit/usr/bin" "$ctx/crunit/etc/runit" \
	"$ctx/crunit/lib/x86_64-linux-gnu" "$ctx/crunit/lib64" "$ctx/exit5/etc/runit"
cp "$tini" "$ctx/tini/sbin/tini"
cat >"$ctx/Dockerfile.tini" <<'X'
FROM gorunit-example
COPY tini/ /
ENTRYPOINT ["/sbin/tini", "--", "/usr/bin/runsvdir", "-P", "/etc/service"]
X
# Debian's runit, dynamically linked: its libc and loader go in too.
cp "$oracle/sbin/runit" "$ctx/crunit/sbin/runit"
cp "$oracle/lib/runit/runit-init" "$ctx/crunit/sbin/runit-init"
for b in runsvdir runsv sv svlogd chpst; do cp "$oracle/usr/bin/$b" "$ctx/crunit/usr/bin/$b"; done
cp -L /lib/x86_64-linux-gnu/libc.so.6 "$ctx/crunit/lib/x86_64-linux-gnu/"
cp -L /lib64/ld-linux-x86-64.so.2 "$ctx/crunit/lib64/"
# Stage 1 makes the supervise directories under /run (ours needs none).
printf '#!/bin/sh\ntouch /run/runit.stopit\nchmod 0 /run/runit.stopit\nmkdir -p /run/runit/supervise.hello /run/runit/supervise.hello.log /run/runit/supervise.ticker\n' >"$ctx/crunit/etc/runit/1"
printf '#!/bin/sh\nexec runsvdir -P /etc/service "log: ......................................................................."\n' >"$ctx/crunit/etc/runit/2"
printf '#!/bin/sh\nsv -w 7 force-stop /etc/service/*\nsv exit /etc/service/*\n' >"$ctx/crunit/etc/runit/3"
chmod 755 "$ctx/crunit/etc/runit/"*
cat >"$ctx/Dockerfile.crunit" <<'X'
FROM gorunit-example
COPY crunit/ /
ENTRYPOINT ["/sbin/runit"]
X
printf '#!/bin/sh\nexit 5\n' >"$ctx/exit5/etc/runit/2"
chmod 755 "$ctx/exit5/etc/runit/2"
cat >"$ctx/Dockerfile.exit5" <<'X'
FROM gorunit-example
COPY exit5/ /
X
for i in tini crunit exit5; do
	D_T=120 d build -q -t "gorunit-$i" -f "$ctx/Dockerfile.$i" "$ctx" >/dev/null || { bad "build gorunit-$i"; exit 1; }
done
# The one-process shape (the default) and its switches: .per-process
# (runit's tree of runsvdir and runsv processes), .untagged (services'
# lines in docker logs without "NAME: "), and a main service whose end
# ends the container (it exits with the code the test writes into its
# FIFO, /run/main.go).
mkdir -p "$ctx/perproc/etc/service" "$ctx/untagged/etc/service" "$ctx/main/etc/service/main"
: >"$ctx/perproc/etc/service/.per-process"
: >"$ctx/untagged/etc/service/.untagged"
: >"$ctx/main/etc/service/main/main-service"
cat >"$ctx/main/etc/service/main/run" <<'X'
#!/bin/sh
exec 2>&1
trap 'kill $!; echo "main: TERM"; exit 0' TERM
[ -p /run/main.go ] || mkfifo /run/main.go
echo "main: up"
cat /run/main.go >/run/main.code &
wait $!
echo "main: exiting with $(cat /run/main.code)"
exit $(cat /run/main.code)
X
# Ten services (hello with its logger, ticker, and s3 to s10: exec sleep),
# for docker stats: in each shape and under each process 1.
for i in 3 4 5 6 7 8 9 10; do
	mkdir -p "$ctx/ten/etc/service/s$i"
	printf '#!/bin/sh\nexec sleep 1000000\n' >"$ctx/ten/etc/service/s$i/run"
done
chmod 755 "$ctx/main/etc/service/main/run" "$ctx"/ten/etc/service/*/run
# derive NAME BASE DIR: image gorunit-NAME is image BASE plus $ctx/DIR.
derive() {
	printf 'FROM %s\nCOPY %s/ /\n' "$2" "$3" >"$ctx/Dockerfile.$1"
	D_T=120 d build -q -t "gorunit-$1" -f "$ctx/Dockerfile.$1" "$ctx" >/dev/null || { bad "build gorunit-$1"; exit 1; }
}
derive perproc gorunit-example perproc
derive untagged gorunit-example untagged
derive main gorunit-example main
derive ten gorunit-example ten
derive ten-perproc gorunit-ten perproc
derive ten-tini gorunit-tini ten
derive ten-crunit gorunit-crunit ten

# --- helpers --------------------------------------------------------------
img() { case $1 in gorunit) echo gorunit-example ;; *) echo "gorunit-$1" ;; esac; }
state() {
	case $2 in RestartCount) f=.RestartCount ;; *) f=.State.$2 ;; esac
	d inspect -f "{{$f}}" "$1" 2>/dev/null
}
logs() { d logs "$1" 2>&1; }
# up NAME: both example services and the logger run (sv status).
up() {
	s=$(d exec "$1" sv status /etc/service/hello /etc/service/ticker 2>&1) || return 1
	case $s in *"run: /etc/service/hello:"*"run: log:"*"run: /etc/service/ticker:"*) return 0 ;; esac
	return 1
}
waitup() { until_ 30 up "$1"; }
exited() { [ "$(state "$1" Running)" = false ]; }
mem() { d stats --no-stream --format '{{.MemUsage}}' "$1" 2>/dev/null | cut -d/ -f1 | tr -d ' '; }
now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
# lastline NAME: the last line svlogd kept for hello.
lastline() {
	for f in /var/log/hello/current /run/log/hello/current; do
		d cp "$1:$f" - 2>/dev/null | tar -xO 2>/dev/null | tail -1 | cut -d' ' -f2- && return
	done
}
count() { logs "$1" | grep -c "$2"; }

# --- 1. docker stop --------------------------------------------------------
note "scenario | pid 1 | result"
for im in gorunit perproc tini crunit; do
	c=stop-$im
	d run -d --name "$c" "$(img $im)" >/dev/null
	if ! waitup "$c"; then bad "stop/$im: services not up"; logs "$c" | tail -5; continue; fi
	m=$(mem "$c")
	t0=$(now)
	D_T=30 d stop -t 10 "$c" >/dev/null
	t1=$(now)
	code=$(state "$c" ExitCode)
	last=$(lastline "$c")
	fin=$(count "$c" "ticker: finish ran")
	terms=$(count "$c" "ticker: TERM")
	note "docker stop | $im | $(ms $t0 $t1) ms, exit $code, memory $m, ticker finish ran: $fin, hello's last logged line: '$last'"
	case $im in gorunit | perproc)
		if [ "$code" = 0 ] && [ "$fin" = 1 ] && [ "$terms" = 1 ] && [ "$last" = "hello: finish ran" ]; then
			ok "docker stop ($im): exit 0 in $(ms $t0 $t1) ms, one TERM, finish ran, svlogd kept the last line"
		else
			bad "docker stop ($im): exit $code, finish $fin, TERMs $terms, last line '$last'"
			logs "$c" | tail -20
		fi
		;;
	esac
done

# --- 2. docker kill -s INT, with and without -t -------------------------------
for im in gorunit tini; do
	for tty in "" -t; do
		c=int$tty-$im
		d run -d $tty --name "$c" "$(img $im)" >/dev/null
		waitup "$c" || { bad "int$tty/$im: services not up"; continue; }
		d kill -s INT "$c" >/dev/null
		until_ 30 exited "$c" || { bad "int$tty/$im: still running 30 s after SIGINT"; d kill "$c" >/dev/null; continue; }
		code=$(state "$c" ExitCode)
		fin=$(count "$c" "ticker: finish ran")
		note "docker kill -s INT ${tty:+(-t)} | $im | exit $code, ticker finish ran: $fin"
		if [ $im = gorunit ]; then
			if [ "$code" = 0 ] && [ "$fin" = 1 ]; then ok "kill -s INT $tty: exit 0, services stopped"; else bad "kill -s INT $tty: exit $code, finish $fin"; fi
		fi
	done
done

# --- 3. exit codes: /run/runit.exitcode, stage 2's ------------------------------
c=exitcode-gorunit
d run -d --name $c gorunit-example >/dev/null
waitup $c && d exec $c sh -c 'echo 3 >/run/runit.exitcode'
d stop -t 10 $c >/dev/null
code=$(D_T=30 d wait $c)
note "exit code from /run/runit.exitcode (3) | gorunit | docker wait: $code"
[ "$code" = 3 ] && ok "exit code 3 from /run/runit.exitcode" || bad "exitcode file: docker wait $code, want 3"
d run -d --name exit5-gorunit gorunit-exit5 >/dev/null
code=$(D_T=30 d wait exit5-gorunit)
d run -d --name exit5-tini --entrypoint /sbin/tini gorunit-tini -- /bin/sh -c 'exit 5' >/dev/null
ref=$(D_T=30 d wait exit5-tini)
note "stage 2 (or tini's child) exits 5 | gorunit / tini | docker wait: $code / $ref"
[ "$code" = 5 ] && [ "$code" = "$ref" ] && ok "stage 2's exit code 5, as tini's child's" || bad "stage 2 exit 5: gorunit $code, tini $ref"

# --- 4. 1000 orphans, 0 zombies ------------------------------------------------
zombies() { d exec "$1" sh -c 'cat /proc/[0-9]*/stat 2>/dev/null | awk "\$3 == \"Z\"" | wc -l'; }
procs() { d exec "$1" sh -c 'ls -d /proc/[0-9]* | wc -l'; }
for im in gorunit tini; do
	c=orphans-$im
	d run -d --name "$c" "$(img $im)" >/dev/null
	waitup "$c" || { bad "orphans/$im: services not up"; continue; }
	base=$(procs "$c")
	D_T=120 d exec "$c" sh -c 'i=0; while [ $i -lt 1000 ]; do sleep 0.5 & i=$((i+1)); done' >/dev/null
	settled() { [ "$(zombies "$1")" = 0 ] && [ "$(procs "$1")" -le $((base + 1)) ]; }
	if until_ 60 settled "$c"; then z=0; else z=$(zombies "$c"); fi
	note "1000 orphans | $im | zombies left: $z"
	if [ $im = gorunit ]; then [ "$z" = 0 ] && ok "1000 orphans, 0 zombies" || bad "1000 orphans: $z zombies"; fi
	d rm -f "$c" >/dev/null
done

# --- 5. docker restart, --restart on-failure ----------------------------------
for im in gorunit tini; do
	c=restart-$im
	d run -d --name "$c" "$(img $im)" >/dev/null
	waitup "$c" || { bad "restart/$im: not up"; continue; }
	D_T=30 d restart -t 10 "$c" >/dev/null
	if waitup "$c"; then r=up; else r=down; fi
	fin=$(count "$c" "ticker: finish ran")
	note "docker restart | $im | services $r again, ticker finish ran: $fin"
	if [ $im = gorunit ]; then [ $r = up ] && [ "$fin" = 1 ] && ok "docker restart: stopped cleanly, up again" || bad "docker restart: $r, finish $fin"; fi
done
d run -d --name onfail-gorunit --restart on-failure:2 gorunit-exit5 >/dev/null
d run -d --name onfail-tini --restart on-failure:2 --entrypoint /sbin/tini gorunit-tini -- /bin/sh -c 'exit 5' >/dev/null
done2() { [ "$(state "$1" RestartCount)" = 2 ] && exited "$1"; }
until_ 60 done2 onfail-gorunit
until_ 60 done2 onfail-tini
g="$(state onfail-gorunit RestartCount) restarts, exit $(state onfail-gorunit ExitCode)"
t="$(state onfail-tini RestartCount) restarts, exit $(state onfail-tini ExitCode)"
note "--restart on-failure:2, exit 5 | gorunit / tini | $g / $t"
[ "$g" = "2 restarts, exit 5" ] && [ "$g" = "$t" ] && ok "--restart on-failure:2: $g, as tini" || bad "on-failure: gorunit $g, tini $t"

# --- 6. --read-only --tmpfs /run, --user 1000 ----------------------------------
for im in gorunit tini crunit; do
	c=ro-$im
	d run -d --name "$c" --read-only --tmpfs /run "$(img $im)" >/dev/null
	if waitup "$c"; then r=up; else r=down; fi
	D_T=30 d stop -t 10 "$c" >/dev/null
	note "--read-only --tmpfs /run | $im | services $r, docker stop: exit $(state "$c" ExitCode)"
	if [ $im = gorunit ]; then [ $r = up ] && [ "$(state "$c" ExitCode)" = 0 ] && ok "--read-only --tmpfs /run: services up, exit 0" || { bad "--read-only: $r"; logs "$c" | tail; }; fi
done
for im in gorunit tini; do
	c=user-$im
	d run -d --name "$c" --user 1000 "$(img $im)" >/dev/null
	sleep 0 # the messages come at once; wait for them with a deadline
	msgs() { logs "$1" | grep -q "supervise"; }
	until_ 20 msgs "$c"
	n=$(logs "$c" | grep -c "supervise")
	note "--user 1000 | $im | lines about supervise/ in docker logs: $n$( [ $im = gorunit ] && logs "$c" | grep -m1 'not root' | sed 's/^/: /')"
	if [ $im = gorunit ]; then
		logs "$c" | grep -q "not root" && logs "$c" | grep -q "cannot be supervised" && logs "$c" | grep -q "runsv hello: fatal" &&
			ok "--user 1000: docker logs says why (not root, and runsv's messages)" || { bad "--user 1000: no plain message"; logs "$c" | tail; }
	fi
	D_T=30 d stop -t 10 "$c" >/dev/null
	c=user-tmpfs-$im
	d run -d --name "$c" --user 1000 --read-only --tmpfs /run:uid=1000,gid=1000 "$(img $im)" >/dev/null
	if waitup "$c"; then r=up; else r=down; fi
	D_T=30 d stop -t 10 "$c" >/dev/null
	note "--user 1000 --read-only --tmpfs /run:uid=1000 | $im | services $r, exit $(state "$c" ExitCode)"
	if [ $im = gorunit ]; then [ $r = up ] && ok "--user 1000 with /run its own: services up" || { bad "--user 1000 + tmpfs: $r"; logs "$c" | tail; }; fi
done

# --- 7. docker exec sv status / sv restart; docker top -------------------------
# In both shapes: sv reads and controls the services (hosted in process 1,
# or each under its runsv); docker top shows runsvdir and runsv processes
# only with .per-process.
# supervisors NAME: the runsvdir and runsv processes of the container, as
# "runsvdir=N runsv=M" (docker top's args column, first word).
supervisors() {
	d top "$1" -o pid,args | awk 'NR > 1 { n = split($2, a, "/"); c[a[n]]++ } END { printf "runsvdir=%d runsv=%d", c["runsvdir"], c["runsv"] }'
}
for im in gorunit perproc; do
	c=exec-$im
	d run -d --name $c "$(img $im)" >/dev/null
	if ! waitup $c; then bad "exec/$im: not up"; continue; fi
	st=$(d exec $c sh -c 'sv status /etc/service/*' 2>&1)
	code=$?
	nrun=$(echo "$st" | grep -c '^run: /etc/service/')
	p1=$(d exec $c sv status /etc/service/ticker | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
	d exec $c sv restart /etc/service/ticker >/dev/null
	newpid() { p=$(d exec $c sv status /etc/service/ticker | sed -n 's/^run: .*(pid \([0-9]*\)).*/\1/p'); [ -n "$p" ] && [ "$p" != "$p1" ]; }
	if until_ 20 newpid; then r="new pid"; else r="pid still $p1"; fi
	two() { [ "$(count $c "ticker: up")" = 2 ]; }
	until_ 20 two
	terms=$(count $c "ticker: TERM")
	sup=$(supervisors $c)
	note "docker exec sv status /etc/service/*, sv restart; docker top | $im | sv status exit $code, $nrun of 2 run; restart: $r, TERMs $terms; $sup"
	case $im in gorunit) want="runsvdir=0 runsv=0" ;; *) want="runsvdir=1 runsv=2" ;; esac
	if [ $code = 0 ] && [ "$nrun" = 2 ] && [ "$r" = "new pid" ] && [ "$terms" = 1 ] && two && [ "$sup" = "$want" ]; then
		ok "docker exec sv status / sv restart ($im); docker top: $sup"
	else
		bad "exec/$im: sv status exit $code, $nrun run; restart: $r, TERMs $terms; $sup (want $want)"
		echo "$st"
		d top $c -o pid,args
	fi
	d rm -f $c >/dev/null
done

# --- 8. a PID namespace with CAP_SYS_BOOT (unshare): reboot and halt ----------
for how in 6 0; do
	sv=$(mktemp -d "${TMPDIR:-/tmp}/dt-sv.XXXXXX")
	cp -a docker-test/example/etc/service/. "$sv/"
	CONSOLE=/dev/null timeout -k 5 60 scripts/container.sh "$sv" >"$cache/ns-$how.log" 2>&1 &
	sp=$!
	# runit is a descendant of the script (timeout, container.sh, unshare).
	findrunit() {
		set -- $sp
		while [ $# -gt 0 ]; do
			q=$1
			shift
			[ "$(cat /proc/$q/comm 2>/dev/null)" = runit ] && rp=$q && return 0
			set -- "$@" $(cat /proc/$q/task/*/children 2>/dev/null)
		done
		return 1
	}
	rp=
	nsup() { nsenter -t "$rp" -p -m "$top/bin/sv" status /etc/service/ticker | grep -q '^run:'; }
	if until_ 30 findrunit && until_ 30 nsup; then
		nsenter -t "$rp" -p -m "$top/bin/runit-init" "$how"
	fi
	wait $sp
	code=$?
	rm -rf "$sv"
	want=129
	[ $how = 0 ] && want=0
	note "unshare --pid as root (CAP_SYS_BOOT), runit-init $how | gorunit | exit status $code ($([ $code = 129 ] && echo 'SIGHUP: reboot' || echo halt))"
	[ "$code" = $want ] && ok "PID namespace with CAP_SYS_BOOT: runit-init $how -> status $code" || { bad "runit-init $how in a PID namespace: status $code, want $want"; tail "$cache/ns-$how.log"; }
done

# --- 9. services' lines in docker logs: tagged "NAME: line", or not ----------
# ticker has no log/: its lines reach docker logs through process 1,
# tagged in the one-process shape (plain with .untagged, and under runit's
# tree with .per-process); hello's go to its svlogd, not to docker logs.
for im in gorunit untagged perproc; do
	for tty in "" -t; do
		c=tags$tty-$im
		d run -d $tty --name $c "$(img $im)" >/dev/null
		waitup $c || { bad "tags$tty/$im: not up"; continue; }
		D_T=30 d stop -t 10 $c >/dev/null
		l=$(logs $c | tr -d '\r')
		tagged=$(echo "$l" | grep -c -x -e 'ticker: ticker: up' -e 'ticker: ticker: TERM' -e 'ticker: ticker: finish ran')
		plain=$(echo "$l" | grep -c -x -e 'ticker: up' -e 'ticker: TERM' -e 'ticker: finish ran')
		hello=$(echo "$l" | grep -c 'hello: ')
		note "ticker's lines in docker logs ${tty:+(-t)} | $im | tagged 'ticker: ': $tagged of 3, untagged: $plain of 3; hello's lines: $hello"
		case $im in gorunit) want="3 0 0" ;; *) want="0 3 0" ;; esac
		if [ "$tagged $plain $hello" = "$want" ]; then
			ok "docker logs $tty ($im): ticker's up, TERM and finish lines $([ $im = gorunit ] && echo "tagged 'ticker: '" || echo untagged), none of hello's"
		else
			bad "docker logs $tty ($im): tagged $tagged, untagged $plain, hello's $hello; want $want"
			echo "$l" | tail
		fi
		d rm -f $c >/dev/null
	done
done

# Three services added to a running container (docker exec), each writing
# 5000 lines at once and then an unfinished one: every line whole and
# tagged in docker logs, none mixed, the unfinished ones ended at docker stop.
c=burst-gorunit
d run -d --name $c gorunit-example >/dev/null
if waitup $c; then
	d exec $c sh -c 'for s in aa bb cc; do
		mkdir /tmp/$s
		printf "#!/bin/sh\ni=0\nwhile [ \$i -lt 5000 ]; do echo \"$s line \$i 0123456789abcdef\"; i=\$((i + 1)); done\nprintf unfinished\nexec sleep 1000000\n" >/tmp/$s/run
		chmod 755 /tmp/$s/run
		mv /tmp/$s /etc/service/
	done'
	burst() { [ "$(logs $c | grep -c -E '^(aa|bb|cc): (aa|bb|cc) line [0-9]+ 0123456789abcdef$')" = 15000 ]; }
	until_ 60 burst
	D_T=30 d stop -t 10 $c >/dev/null
	l=$(logs $c)
	whole=0
	for s in aa bb cc; do whole=$((whole + $(echo "$l" | grep -c -E "^$s: $s line [0-9]+ 0123456789abcdef\$"))); done
	ends=$(echo "$l" | grep -c -x -E '(aa|bb|cc): unfinished')
	other=$(echo "$l" | grep -v -E '^(- runit: |ticker: ticker: |(aa|bb|cc): (aa|bb|cc) line [0-9]+ 0123456789abcdef$|(aa|bb|cc): unfinished$)' | wc -l)
	note "3 services x 5000 lines at once, then an unfinished one | gorunit | whole tagged lines: $whole of 15000, unfinished ended at stop: $ends of 3, other lines: $other"
	if [ $whole = 15000 ] && [ $ends = 3 ] && [ $other = 0 ]; then
		ok "3 x 5000 lines: every one whole and tagged, the unfinished ones ended at docker stop"
	else
		bad "burst: $whole of 15000 whole, $ends of 3 ended, $other other lines"
		echo "$l" | grep -v -E '^(aa|bb|cc): (aa|bb|cc) line [0-9]+ 0123456789abcdef$' | tail
	fi
else
	bad "burst: not up"
fi
d rm -f $c >/dev/null

# --- 10. a main service ends the container with its exit code -----------------
# /etc/service/main has main-service: its run waits for a line on the FIFO
# /run/main.go and exits with it. sv restart of it is a restart; its exit
# (7), or its shell killed by SIGKILL (137), ends the container: stage 3
# stops the other services (ticker's TERM and finish, hello's finish in
# its svlogd) and docker wait gives the code. docker stop stops it with
# the others: exit 0.
mainup() { up "$1" && d exec "$1" sh -c 'sv status /etc/service/main | grep -q "^run:" && test -p /run/main.go'; }
mainpid() { d exec "$1" sv status /etc/service/main | sed -n 's/^run: .*(pid \([0-9]*\)).*/\1/p'; }
for how in exit kill stop; do
	c=main-$how
	d run -d --name $c gorunit-main >/dev/null
	until_ 30 mainup $c || { bad "main/$how: not up"; logs $c | tail; continue; }
	r=
	if [ $how = exit ]; then
		p1=$(mainpid $c)
		d exec $c sv restart /etc/service/main >/dev/null
		newmain() { p=$(mainpid $c); [ -n "$p" ] && [ "$p" != "$p1" ]; }
		if until_ 20 newmain && [ "$(state $c Running)" = true ]; then r="sv restart: restarted, still running; "; else r="sv restart: not restarted; "; fi
		d exec $c sh -c 'echo 7 >/run/main.go'
		want=7
	elif [ $how = kill ]; then
		d exec $c sh -c "kill -9 $(mainpid $c)"
		want=137
	else
		# docker stop: stage 3 stops main too (its TERM trap exits 0).
		D_T=30 d stop -t 10 $c >/dev/null
		want=0
	fi
	code=$(D_T=30 d wait $c)
	warns=$(count $c "signals only work in stage 2")
	terms=$(count $c "ticker: TERM")
	fin=$(count $c "ticker: finish ran")
	last=$(lastline $c)
	note "main service: $how | gorunit | ${r}docker wait: $code; ticker: TERM $terms, finish $fin; hello's last logged line: '$last'; runit's 'signals only work in stage 2' warnings: $warns"
	if [ "$code" = $want ] && [ "$terms" = 1 ] && [ "$fin" = 1 ] && [ "$last" = "hello: finish ran" ] && { [ $how != exit ] || [ "$r" = "sv restart: restarted, still running; " ]; }; then
		ok "main service $how: ${r}docker wait $code, the other services stopped"
	else
		bad "main service $how: ${r}docker wait $code (want $want), ticker TERM $terms, finish $fin, hello's last line '$last'"
		logs $c | tail -20
	fi
done

# --- 11. memory: ten services ---------------------------------------------------
# hello (with svlogd), ticker and eight services that exec sleep; docker
# stats once all ten (and the logger) run.
allup() {
	s=$(d exec "$1" sh -c 'sv status /etc/service/*' 2>&1)
	[ "$(echo "$s" | grep -c '^run: ')" = 10 ] && echo "$s" | grep -q '; run: log: '
}
# supss NAME: the PSS (kB) summed over the supervisors (process 1,
# runsvdir, runsv; not the services, loggers or this exec), and how many.
supss() {
	d exec "$1" sh -c 'n=0 s=0
		for p in /proc/[0-9]*; do
			case $(cat $p/comm 2>/dev/null) in runit | tini | runsvdir | runsv) ;; *) continue ;; esac
			k=$(awk "/^Pss:/ { print \$2 }" $p/smaps_rollup 2>/dev/null)
			[ -n "$k" ] && n=$((n + 1)) && s=$((s + k))
		done
		echo "$s kB in $n processes"'
}
for im in ten ten-perproc ten-tini ten-crunit; do
	c=mem-$im
	d run -d --name $c "$(img $im)" >/dev/null
	if until_ 30 allup $c; then m="$(mem $c); supervisors' PSS $(supss $c)"; else m="(not up)"; fi
	case $im in ten) what="gorunit, one process (default)" ;; ten-perproc) what="gorunit, .per-process" ;; ten-tini) what="tini + runsvdir" ;; ten-crunit) what="C runit" ;; esac
	note "memory (docker stats), ten services | $what | $m"
	case $m in "(not up)") bad "ten services/$im: not up" ;; esac
	d rm -f $c >/dev/null
done

echo
say "measured (also in $res):"
sed 's/^/    /' "$res"
[ $failed = 0 ] && say "all checks passed" || say "some checks FAILED"
exit $failed
