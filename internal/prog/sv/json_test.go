package sv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/supervise"
	"gorunit/internal/tai64"
	"gorunit/internal/testenv"
)

// jsonSchema is the documented JSON status object (json.go), in order:
// each field's JSON type ("string", "number", "bool", "object"), and
// whether it may be null.
var jsonSchema = []struct {
	name     string
	kind     string
	nullable bool
	extra    bool // from supervise/extra: null under runit's runsv
}{
	{"name", "string", false, false},
	{"state", "string", true, false},
	{"seconds", "number", false, false},
	{"want", "string", true, false},
	{"pid", "number", false, false},
	{"pgid", "number", true, false},
	{"normally", "string", true, false},
	{"paused", "bool", false, false},
	{"term", "bool", false, false},
	{"ready", "bool", true, false},
	{"exit", "number", true, true},
	{"signal", "number", true, true},
	{"restarts", "number", true, true},
	{"failed", "bool", true, true},
	{"check", "string", true, true},
	{"checkfails", "number", true, true},
	{"backoff", "number", true, false},
	{"memory_bytes", "number", true, true},
	{"cpu_usec", "number", true, true},
	{"log", "object", true, false},
}

// jsonKeys returns the keys of one JSON object in their order, and the
// object decoded.
func jsonKeys(t *testing.T, raw []byte) ([]string, map[string]any) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, raw)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		skipValue(t, d)
	}
	return keys, m
}

var jsonSecsRE = regexp.MustCompile(`"seconds":[0-9]+`)

// skipValue reads one whole value from d.
func skipValue(t *testing.T, d *json.Decoder) {
	t.Helper()
	var v json.RawMessage
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// checkSchema checks one service object (log false: a log object, which
// has no "log"), or an error object; extraNull: the supervise/extra
// fields must be null.
func checkSchema(t *testing.T, what string, raw []byte, log, extraNull bool) map[string]any {
	t.Helper()
	keys, m := jsonKeys(t, raw)
	if _, ok := m["error"]; ok {
		// A status that cannot be read: the name and runit's message.
		if strings.Join(keys, ",") != "name,error" || jsonKind(m["name"]) != "string" || jsonKind(m["error"]) != "string" {
			t.Errorf("%s: error object %s", what, raw)
		}
		return m
	}
	var want []string
	for _, f := range jsonSchema {
		if f.name == "log" && !log {
			continue
		}
		want = append(want, f.name)
		v, ok := m[f.name]
		if !ok {
			t.Errorf("%s: no field %q: %s", what, f.name, raw)
			continue
		}
		k := jsonKind(v)
		switch {
		case k == "null" && !f.nullable:
			t.Errorf("%s: %s is null: %s", what, f.name, raw)
		case k != "null" && k != f.kind:
			t.Errorf("%s: %s is %s, want %s: %s", what, f.name, k, f.kind, raw)
		case f.extra && extraNull && k != "null":
			t.Errorf("%s: %s is %v, want null (runit's runsv writes no supervise/extra)", what, f.name, v)
		}
		if f.name == "log" && k == "object" {
			lraw, _ := json.Marshal(v)
			// Marshal sorts keys: check the order on the original text.
			i := bytes.Index(raw, []byte(`"log":{`))
			if i < 0 {
				t.Errorf("%s: log object not found in %s", what, raw)
			} else {
				lraw = raw[i+len(`"log":`) : len(raw)-1]
			}
			checkSchema(t, what+"/log", lraw, false, extraNull)
		}
	}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("%s: fields\n %v\nwant\n %v", what, keys, want)
	}
	return m
}

// jsonLines splits sv -j's output into its lines, each a JSON object.
func jsonLines(t *testing.T, out string) [][]byte {
	t.Helper()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output does not end in a newline: %q", out)
	}
	var lines [][]byte
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		lines = append(lines, []byte(l))
	}
	return lines
}

// TestJSONSchema: sv -j status against runit's runsv and ours, over real
// services: every documented field, in order, with its JSON type; under
// runit's runsv the supervise/extra fields are null.
func TestJSONSchema(t *testing.T) {
	_, ours := impls(t)
	for _, rs := range runsvs(t) {
		t.Run(rs.name, func(t *testing.T) {
			dir := t.TempDir()
			w := newWorld(dir, rs.bin)
			defer w.close()
			if err := w.files(map[string]string{
				"a/run": runSleep, "a/log/run": logCat, "a/notification-fd": "3\n",
				"b/run": "#!/bin/sh\nexit 3\n", "b/down": "", "b/backoff": "30\n",
			}); err != nil {
				t.Fatal(err)
			}
			var pgids []int
			for _, n := range []string{"a", "b"} {
				cmd, err := w.start(n)
				if err != nil {
					t.Fatal(err)
				}
				pgids = append(pgids, cmd.Process.Pid)
			}
			if err := w.until("a", "up", isUp); err != nil {
				t.Fatal(err)
			}
			if err := w.until("a/log", "up", isUp); err != nil {
				t.Fatal(err)
			}
			if err := w.until("b", "status", func(r supervise.Record) bool { return true }); err != nil {
				t.Fatal(err)
			}
			env := []string{"SVDIR=" + dir}
			all, err := runSv(ours.bin, "", dir, env, "-j", "status")
			if err != nil {
				t.Fatal(err)
			}
			named, err := runSv(ours.bin, "", dir, env, "-j", "status", "a", "b")
			if err != nil {
				t.Fatal(err)
			}
			if all.code != 0 || all.stderr != "" || named.code != 0 {
				t.Fatalf("sv -j status: %v\nsv -j status a b: %v", all, named)
			}
			if normaliseJSON(all.stdout) != normaliseJSON(named.stdout) {
				t.Errorf("all of $SVDIR differs from the names:\n%s\n%s", all.stdout, named.stdout)
			}
			lines := jsonLines(t, all.stdout)
			if len(lines) != 2 {
				t.Fatalf("%d lines, want 2: %s", len(lines), all.stdout)
			}
			extraNull := rs.name == "runit-runsv"
			a := checkSchema(t, "a", lines[0], true, extraNull)
			b := checkSchema(t, "b", lines[1], true, extraNull)
			ra, _ := w.status("a")
			for k, v := range map[string]any{"name": "a", "state": "run", "want": "up", "pid": float64(ra.PID),
				"pgid": float64(pgids[0]), "normally": "up", "paused": false, "term": false, "ready": false, "backoff": nil} {
				if a[k] != v {
					t.Errorf("a: %s = %v, want %v", k, a[k], v)
				}
			}
			if l, _ := a["log"].(map[string]any); l == nil || l["name"] != "log" || l["state"] != "run" || l["ready"] != nil {
				t.Errorf("a: log = %v", a["log"])
			}
			for k, v := range map[string]any{"name": "b", "state": "down", "want": "down", "pid": float64(0),
				"pgid": nil, "normally": "down", "ready": nil, "backoff": float64(30), "log": nil} {
				if b[k] != v {
					t.Errorf("b: %s = %v, want %v", k, b[k], v)
				}
			}
		})
	}
}

// normaliseJSON blanks the seconds, which may differ between two calls.
func normaliseJSON(s string) string {
	return jsonSecsRE.ReplaceAllString(s, `"seconds":N`)
}

// TestJSONExtra: the supervise/extra facts and the cgroup's usage, from
// crafted files: exact output.
func TestJSONExtra(t *testing.T) {
	dir := t.TempDir()
	var held []int
	defer func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	}()
	cg := filepath.Join(dir, "cgroup")
	os.MkdirAll(cg, 0o755)
	os.WriteFile(filepath.Join(cg, "memory.current"), []byte("123456\n"), 0o644)
	os.WriteFile(filepath.Join(cg, "cpu.stat"), []byte("usage_usec 789\nuser_usec 700\nsystem_usec 89\n"), 0o644)
	pid := os.Getpid()
	pgrp := unix.Getpgrp()
	svdir := filepath.Join(dir, "service")
	later := tai64.FromTime(time.Now().Add(1001 * time.Hour))
	for _, c := range []struct {
		name   string
		status []byte
		files  map[string]string
		want   string
	}{
		{"exit", rec(pid, false, 'u', false, supervise.Run), map[string]string{
			"supervise/extra": "restarts 3\nexit 1\nfailed 0\ncheck fail\ncheckfails 2\nchecked @400000005f5e10000000000a\ncgroup " + cg + "\n",
			"notification-fd": "4\n", "supervise/ready": later.String() + "\n", "backoff": "60"},
			`{"name":"exit","state":"run","seconds":0,"want":"up","pid":` + strconv.Itoa(pid) + `,"pgid":` + strconv.Itoa(pgrp) +
				`,"normally":"up","paused":false,"term":false,"ready":true,"exit":1,"signal":null,"restarts":3,"failed":false,` +
				`"check":"fail","checkfails":2,"backoff":60,"memory_bytes":123456,"cpu_usec":789,"log":null}`},
		{"signal, failed", rec(0, false, 'd', false, supervise.Down), map[string]string{
			"supervise/extra": "restarts 0\nsignal 9\nfailed 1\ncheck none\ncheckfails 0\n", "notification-fd": "4\n", "down": ""},
			`{"name":"signal, failed","state":"down","seconds":0,"want":"down","pid":0,"pgid":null,` +
				`"normally":"down","paused":false,"term":false,"ready":false,"exit":null,"signal":9,"restarts":0,"failed":true,` +
				`"check":"none","checkfails":0,"backoff":null,"memory_bytes":null,"cpu_usec":null,"log":null}`},
		{"bad values \"quoted\"\t\xff", rec(pid, true, 'x', true, 7), map[string]string{
			"supervise/extra": "restarts x\nexit 1 2\nfailed yes\ncheck maybe\ncheckfails\ncgroup relative\n", "notification-fd": "2\n", "backoff": "x"},
			`{"name":"bad values \"quoted\"\t\ufffd","state":null,"seconds":0,"want":null,"pid":` + strconv.Itoa(pid) + `,"pgid":` + strconv.Itoa(pgrp) +
				`,"normally":"up","paused":true,"term":true,"ready":null,"exit":null,"signal":null,"restarts":null,"failed":null,` +
				`"check":null,"checkfails":null,"backoff":null,"memory_bytes":null,"cpu_usec":null,"log":null}`},
	} {
		svc := filepath.Join(svdir, c.name)
		os.MkdirAll(svc, 0o755)
		fakeSv{status: c.status}.build(t, svc, &held)
		for name, body := range c.files {
			if err := os.WriteFile(filepath.Join(svc, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		code := captureMain(t, &out, []string{"sv", "-j", "status", c.name}, svdir)
		want := strings.ReplaceAll(c.want, "\t", `\t`) + "\n"
		if code != 0 || out.String() != want {
			t.Errorf("%s: exit %d\n got %s\nwant %s", c.name, code, out.String(), want)
		}
		if !json.Valid(out.Bytes()) {
			t.Errorf("%s: not valid JSON", c.name)
		}
	}
}

// captureMain runs Main in this process with SVDIR and stdout to out.
func captureMain(t *testing.T, out *bytes.Buffer, argv []string, svdir string) int {
	t.Helper()
	t.Setenv("SVDIR", svdir)
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := unix.Dup(1)
	unix.Dup2(int(wr.Fd()), 1)
	done := make(chan struct{})
	go func() { out.ReadFrom(r); close(done) }()
	code := Main(argv)
	unix.Dup2(saved, 1)
	unix.Close(saved)
	wr.Close()
	select {
	case <-done:
	case <-time.After(testenv.Deadline):
		t.Fatal("output not read")
	}
	r.Close()
	return code
}

// TestJSONErrors: over every crafted case of TestRender, sv -j status
// exits with the code runit's sv status gives (the number of errors),
// and prints one valid object per service, an error object where the
// text status has a fail: or warning: line.
func TestJSONErrors(t *testing.T) {
	_, ours := impls(t)
	var held []int
	defer func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	}()
	for _, c := range renderCases() {
		t.Run(c.name, func(t *testing.T) {
			svdir := buildRenderCase(t, c, &held)
			arg := c.arg
			if arg == "" {
				arg = "svc"
			}
			names := strings.Fields(arg)
			got, err := runSv(ours.bin, "", svdir, []string{"SVDIR=" + svdir}, append([]string{"-j", "status"}, names...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got.code != c.code || got.stderr != "" {
				t.Errorf("exit %d (want %d as sv status), stderr %q", got.code, c.code, got.stderr)
			}
			lines := jsonLines(t, got.stdout)
			if len(lines) != len(names) {
				t.Fatalf("%d lines for %d services: %s", len(lines), len(names), got.stdout)
			}
			errs := 0
			for i, l := range lines {
				var m map[string]any
				if err := json.Unmarshal(l, &m); err != nil {
					t.Fatalf("line %d: %v: %s", i, err, l)
				}
				if m["name"] != names[i] {
					t.Errorf("line %d: name %v, want %q", i, m["name"], names[i])
				}
				if e, ok := m["error"]; ok {
					errs++
					if len(m) != 2 {
						t.Errorf("error object with other fields: %s", l)
					}
					if s, _ := e.(string); s == "" || !strings.Contains(c.stdout, ": "+s+"\n") {
						t.Errorf("error %q is not sv status's message in %q", e, c.stdout)
					}
					continue
				}
				checkSchema(t, names[i], l, true, true)
				if lg, ok := m["log"].(map[string]any); ok {
					if e, ok := lg["error"]; ok {
						errs++
						if s, _ := e.(string); s == "" || !strings.Contains(c.stdout, "svc/log: "+s+"\n") {
							t.Errorf("log error %q is not sv status's message in %q", e, c.stdout)
						}
					}
				}
			}
			if errs != c.code {
				t.Errorf("%d error objects, exit code of sv status %d: %s", errs, c.code, got.stdout)
			}
		})
	}
}

// buildRenderCase creates the service directory of a render case and
// returns its $SVDIR.
func buildRenderCase(t *testing.T, c renderCase, held *[]int) string {
	t.Helper()
	svdir := filepath.Join(t.TempDir(), "service")
	svc := filepath.Join(svdir, "svc")
	if err := os.MkdirAll(svc, 0o755); err != nil {
		t.Fatal(err)
	}
	c.main.build(t, svc, held)
	if c.log != nil {
		c.log.build(t, filepath.Join(svc, "log"), held)
	}
	for name, content := range c.files {
		p := filepath.Join(svc, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		var err error
		if len(content) > 2 && content[:2] == "->" {
			err = os.Symlink(content[2:], p)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return svdir
}

// TestJSONUsage: -j is sv's only, with status only; runit's sv refuses
// -j (so no runit command line means something else with ours).
func TestJSONUsage(t *testing.T) {
	runit, ours := impls(t)
	use := "usage: sv [-v] [-w sec] command service ...\n\n"
	dir := t.TempDir()
	for _, c := range []struct {
		bin, argv0 string
		args       []string
		want       result
	}{
		{runit.bin, "", []string{"-j", "status", "x"}, result{"", "sv: illegal option -- j\n" + use, 100}},
		{ours.bin, "", []string{"-j", "up", "x"}, result{"", use, 100}},
		{ours.bin, "", []string{"-j", "check", "x"}, result{"", use, 100}},
		{ours.bin, "", []string{"-j"}, result{"", use, 100}},
		{ours.bin, "", []string{"-j", "s", "x"}, result{`{"name":"x","error":"unable to change to service directory: file does not exist"}` + "\n", "", 1}},
		{ours.bin, "", []string{"-j", "status", ""}, result{`{"name":"","error":"unable to change to service directory: file does not exist"}` + "\n", "", 1}},
		{ours.bin, "demo", []string{"-j", "status"}, result{"", "demo: illegal option -- j\nusage: demo [-w sec] command\n\n", 2}},
		{runit.bin, "demo", []string{"-j", "status"}, result{"", "demo: illegal option -- j\nusage: demo [-w sec] command\n\n", 2}},
	} {
		got, err := runSv(c.bin, c.argv0, dir, []string{"SVDIR=" + filepath.Join(dir, "nosuch")}, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s %v:\n got %v\nwant %v", c.bin, c.args, got, c.want)
		}
	}
	// No names and no $SVDIR: fatal, as when sv cannot do anything.
	got, err := runSv(ours.bin, "", dir, []string{"SVDIR=" + filepath.Join(dir, "nosuch")}, "-j", "status")
	if err != nil {
		t.Fatal(err)
	}
	if got.code != 100 || got.stdout != "" || !strings.HasPrefix(got.stderr, "fatal: unable to open ") {
		t.Errorf("missing $SVDIR: %v", got)
	}
}

// BenchmarkJSON100 is the figure of issue 19: one `sv -j status` over
// 100 services (each with a log service) against runit's `sv status` of
// the same 100 (and ours), each a whole process from start to exit, as a
// monitoring script runs it. The supervise/ directories are crafted (ok
// held open, pids of this process, so /proc/PID/stat is read).
//
//	go test ./internal/prog/sv -run '^$' -bench JSON100 -benchtime 300x
func BenchmarkJSON100(b *testing.B) {
	dir := b.TempDir()
	var held []int
	defer func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	}()
	names := []string{}
	for i := 0; i < 100; i++ {
		name := "s" + strconv.Itoa(i)
		svc := filepath.Join(dir, name)
		if err := os.MkdirAll(svc, 0o755); err != nil {
			b.Fatal(err)
		}
		fakeSv{status: rec(os.Getpid(), false, 'u', false, supervise.Run)}.build(b, svc, &held)
		fakeSv{status: rec(os.Getpid(), false, 'u', false, supervise.Run)}.build(b, filepath.Join(svc, "log"), &held)
		names = append(names, name)
	}
	runit := testenv.Runit.Cmd(b, "sv")
	ours := testenv.Ours.Cmd(b, "sv")
	cmds := []struct {
		name string
		bin  string
		args []string
	}{
		{"runit-status", runit, append([]string{"status"}, names...)},
		{"ours-status", ours, append([]string{"status"}, names...)},
		{"ours-json", ours, append([]string{"-j", "status"}, names...)},
		{"ours-json-all", ours, []string{"-j", "status"}},
	}
	// The commands alternate, so that a change of load hits them alike;
	// each figure is the median wall time in ms.
	times := make([][]float64, len(cmds))
	for i := 0; i < b.N; i++ {
		for j, c := range cmds {
			t0 := time.Now()
			r, err := runSv(c.bin, "", dir, []string{"SVDIR=" + dir}, c.args...)
			d := time.Since(t0)
			if err != nil || r.code != 0 || strings.Count(r.stdout, "\n") != 100 {
				b.Fatalf("%v %v", err, r)
			}
			times[j] = append(times[j], float64(d)/float64(time.Millisecond))
		}
	}
	for j, c := range cmds {
		sort.Float64s(times[j])
		b.ReportMetric(times[j][len(times[j])/2], c.name+"-ms")
	}
}

// TestJSONAll: without names, sv -j status takes $SVDIR's services:
// directories and links to directories, not dot entries or files, sorted.
func TestJSONAll(t *testing.T) {
	svdir := t.TempDir()
	var held []int
	defer func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	}()
	for _, n := range []string{"b", "a", ".hidden"} {
		d := filepath.Join(svdir, n)
		os.MkdirAll(d, 0o755)
		fakeSv{status: rec(0, false, 'd', false, supervise.Down)}.build(t, d, &held)
	}
	os.WriteFile(filepath.Join(svdir, "file"), nil, 0o644)
	os.Symlink("b", filepath.Join(svdir, "link"))
	os.Symlink("nowhere", filepath.Join(svdir, "dangling"))
	os.Symlink("file", filepath.Join(svdir, "filelink"))
	os.Mkdir(filepath.Join(svdir, "nosupervise"), 0o755)
	var out bytes.Buffer
	code := captureMain(t, &out, []string{"sv", "-j", "status"}, svdir)
	var got []string
	for _, l := range jsonLines(t, out.String()) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(m["name"], " ", m["state"], " ", m["error"]))
	}
	want := []string{"a down <nil>", "b down <nil>", "link down <nil>", "nosupervise <nil> unable to open supervise/ok: file does not exist"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || code != 1 {
		t.Errorf("exit %d, services:\n%s\nwant\n%s", code, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// promSed is the README's Prometheus textfile line (sed, no jq): it
// relies on name, state and seconds coming first, in that order.
const promSed = `s/^{"name":"\([^"]*\)","state":"\([a-z]*\)","seconds":\([0-9]*\),.*/runit_service_state{service="\1",state="\2"} 1\nrunit_service_seconds{service="\1"} \3/p`

func TestJSONPrometheusSed(t *testing.T) {
	sed, err := exec.LookPath("sed")
	if err != nil {
		t.Skip("no sed")
	}
	svdir := t.TempDir()
	var held []int
	defer func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	}()
	for _, n := range []string{"web", "db"} {
		d := filepath.Join(svdir, n)
		os.MkdirAll(d, 0o755)
		fakeSv{status: rec(7, false, 'u', false, supervise.Run)}.build(t, d, &held)
	}
	fakeSv{status: rec(0, false, 'd', false, supervise.Down)}.build(t, filepath.Join(svdir, "db", "log"), &held)
	os.Mkdir(filepath.Join(svdir, "broken"), 0o755)
	var out bytes.Buffer
	captureMain(t, &out, []string{"sv", "-j", "status"}, svdir)
	cmd := exec.Command(sed, "-n", promSed)
	cmd.Stdin = &out
	got, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := `runit_service_state{service="db",state="run"} 1
runit_service_seconds{service="db"} 0
runit_service_state{service="web",state="run"} 1
runit_service_seconds{service="web"} 0
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParseJSON(t *testing.T) {
	for _, c := range []struct {
		argv     string
		ok, json bool
		services []string
	}{
		{"sv -j status", true, true, nil},
		{"sv -j s a b", true, true, []string{"a", "b"}},
		{"sv -vj status a", true, true, []string{"a"}},
		{"sv -j -w 3 status a", true, true, []string{"a"}},
		{"sv status -j a", true, false, []string{"-j", "a"}},
		{"sv -j up a", false, false, nil},
		{"sv -j start a", false, false, nil},
		{"sv -j", false, false, nil},
		{"sv status", false, false, nil},
		{"demo -j status", false, false, nil},
	} {
		cfg, u := parse(strings.Fields(c.argv), "", false, true)
		if (u == nil) != c.ok {
			t.Errorf("%s: usage error %v, want ok %v", c.argv, u, c.ok)
			continue
		}
		if u != nil {
			continue
		}
		if cfg.json != c.json || strings.Join(cfg.services, " ") != strings.Join(c.services, " ") || cfg.act != actStatus {
			t.Errorf("%s: json %v services %q act %d", c.argv, cfg.json, cfg.services, cfg.act)
		}
	}
}
