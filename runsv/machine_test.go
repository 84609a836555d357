package runsv

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/supervise"
)

// The machine's tests: rows `state, event -> state, actions`, with no
// process, no file and no clock.

var t0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// sim drives a State the way a host would, answering the machine's
// questions: control/<c> scripts in ok exit 0 (the others do not exist),
// starts get pids 100, 101, ... (or fail as failStart says).
type sim struct {
	st        State
	now       time.Time
	nextPid   int
	ok        string // control scripts that exit 0
	conf      Conf
	failStart int // 0: starts succeed; 1: exec fails; 2: fork fails (retry)
	log       []string
}

func newSim(haveLog, down, logDown bool) *sim {
	return &sim{st: New(haveLog, down, logDown, t0), now: t0, nextPid: 100}
}

// ev steps e at s.now and answers questions; it returns the rendered
// actions of the whole exchange.
func (s *sim) ev(e Event) string {
	var out []string
	for i := 0; i < 20; i++ {
		e.Conf = s.conf
		var acts []Action
		s.st, acts = Step(s.st, e, s.now, nil)
		var answer *Event
		for _, a := range acts {
			out = append(out, s.render(a))
			switch a.Kind {
			case ActStart:
				switch s.failStart {
				case 1:
					answer = &Event{Kind: EvStartFailed, Target: a.Target}
				case 2:
					answer = &Event{Kind: EvStartFailed, Target: a.Target, Retry: true}
				default:
					answer = &Event{Kind: EvStarted, Target: a.Target, Pid: s.nextPid}
					s.nextPid++
				}
			case ActScript:
				answer = &Event{Kind: EvScriptDone, Target: a.Target, OK: strings.IndexByte(s.ok, a.C) >= 0}
			}
		}
		if answer == nil {
			return strings.Join(out, "; ")
		}
		e = *answer
	}
	panic("endless questions")
}

func (s *sim) render(a Action) string {
	p := ""
	if a.Target == LogSvc {
		p = "log "
	}
	switch a.Kind {
	case ActStart:
		w := [...]string{"run", "finish", "logrun"}[a.Prog]
		if a.Prog == ProgFinish {
			w += " " + strconv.Itoa(int(a.ExitStatus))
		}
		return p + "start " + w
	case ActScript:
		return p + "script " + string(a.C)
	case ActSignal:
		return p + "kill " + strconv.Itoa(a.Pid) + " " + sigName(a.Sig)
	case ActWriteStatus:
		st := a.Status
		w := strings.TrimSuffix(supervise.StatLine(st.State, st.Paused, st.Term, st.Want), "\n")
		r := st.Record()
		return p + "status " + w + " pid=" + strconv.Itoa(st.Pid) + " want=" + string(r.Want)
	case ActArmTimer:
		return p + "arm " + timerNames[a.Timer] + " +" + a.At.Sub(s.now).String()
	case ActCancelTimer:
		return p + "cancel " + timerNames[a.Timer]
	case ActWarn:
		if a.Warn == WarnGiveUp {
			return p + "warn giveup " + strconv.FormatUint(a.N, 10) + "/" + strconv.FormatUint(a.Window, 10) + "s"
		}
		return p + "warn check " + strconv.FormatUint(a.N, 10)
	case ActExit:
		return "exit " + strconv.Itoa(a.Code)
	}
	return p + a.Kind.String()
}

var timerNames = [NTimers]string{"hold", "kill", "check"}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGKILL:
		return "KILL"
	case syscall.SIGCONT:
		return "CONT"
	case syscall.SIGSTOP:
		return "STOP"
	case syscall.SIGHUP:
		return "HUP"
	case syscall.SIGALRM:
		return "ALRM"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGQUIT:
		return "QUIT"
	case syscall.SIGUSR1:
		return "USR1"
	case syscall.SIGUSR2:
		return "USR2"
	}
	return strconv.Itoa(int(s))
}

func (s *sim) after(d time.Duration) *sim { s.now = s.now.Add(d); return s }

func (s *sim) ctl(c byte) string { return s.ev(Event{Kind: EvControl, Byte: c}) }

func (s *sim) exit(pid int, ws syscall.WaitStatus) string {
	return s.ev(Event{Kind: EvExit, Pid: pid, Status: ws})
}

// The starting states of the rows: each is reached from New by events,
// as a host would reach it.
var states map[string]func() *sim

func init() { states = stateTable() }

func stateTable() map[string]func() *sim {
	return map[string]func() *sim{
		// down: want down (a down file), nothing runs.
		"down": func() *sim { s := newSim(false, true, false); s.ev(Event{Kind: EvBegin}); return s },
		// run: ./run is pid 100, started at t0.
		"run": func() *sim { s := newSim(false, false, false); s.ev(Event{Kind: EvBegin}); return s },
		// held: ./run exited 0.5 s after its start: held until t0+1.5s.
		"held": func() *sim {
			s := states["run"]()
			s.after(500*time.Millisecond).exit(100, 0)
			return s
		},
		// stopping: 't' sent TERM to pid 100, timeout-kill 2000 ms.
		"stopping": func() *sim {
			s := states["run"]()
			s.conf.TimeoutKill = 2000
			s.ctl('t')
			s.conf = Conf{}
			return s
		},
		// killed: 'k' sent KILL, pid 100 not reaped yet.
		"killed": func() *sim { s := states["run"](); s.ctl('k'); return s },
		// finish: ./run exited 3 after 5 s, ./finish is pid 101.
		"finish": func() *sim {
			s := states["run"]()
			s.conf.Finish = true
			s.after(5*time.Second).exit(100, 3<<8)
			s.conf = Conf{}
			return s
		},
		// paused: 'p' sent STOP to pid 100.
		"paused": func() *sim { s := states["run"](); s.ctl('p'); return s },
	}
}

// TestMachineEveryByteInEveryState: each control byte in each state of
// the main service.
func TestMachineEveryByteInEveryState(t *testing.T) {
	rows := []struct {
		state string
		c     byte
		phase Phase
		acts  string
	}{
		{"down", 'u', PhaseRun, "status down pid=0 want=u; script u; clearready; start run; status run pid=100 want=u"},
		{"down", 'd', PhaseDown, "status down pid=0 want=d"},
		{"down", 'o', PhaseRun, "status down pid=0 want=d; script u; clearready; start run; status run, want down pid=100 want=d"},
		{"down", 'x', PhaseExited, "status down pid=0 want=d; exit 0"},
		{"down", 't', PhaseDown, ""},
		{"down", 'k', PhaseDown, ""},
		{"down", 'p', PhaseDown, "status down, paused pid=0 want=d"},
		{"down", 'c', PhaseDown, "status down pid=0 want=d"},
		{"down", 'h', PhaseDown, ""},
		{"down", 'a', PhaseDown, ""},
		{"down", 'i', PhaseDown, ""},
		{"down", 'q', PhaseDown, ""},
		{"down", '1', PhaseDown, ""},
		{"down", '2', PhaseDown, ""},
		{"down", 'z', PhaseDown, ""},

		{"run", 'u', PhaseRun, "status run pid=100 want=u"},
		{"run", 'd', PhaseStopping, "status run, want down pid=100 want=d; script t; kill 100 TERM; status run, got TERM, want down pid=100 want=d; kill 100 CONT; script d"},
		{"run", 'o', PhaseRun, "status run, want down pid=100 want=d"},
		{"run", 'x', PhaseStopping, "status run, want exit pid=100 want=d; script t; kill 100 TERM; status run, got TERM, want exit pid=100 want=d; kill 100 CONT; script x"},
		{"run", 't', PhaseStopping, "script t; kill 100 TERM; status run, got TERM pid=100 want=u"},
		{"run", 'k', PhaseKilled, "script k; kill 100 KILL"},
		{"run", 'p', PhaseRun, "script p; kill 100 STOP; status run, paused pid=100 want=u"},
		{"run", 'c', PhaseRun, "script c; kill 100 CONT; status run pid=100 want=u"},
		{"run", 'h', PhaseRun, "script h; kill 100 HUP"},
		{"run", 'a', PhaseRun, "script a; kill 100 ALRM"},
		{"run", 'i', PhaseRun, "script i; kill 100 INT"},
		{"run", 'q', PhaseRun, "script q; kill 100 QUIT"},
		{"run", '1', PhaseRun, "script 1; kill 100 USR1"},
		{"run", '2', PhaseRun, "script 2; kill 100 USR2"},
		{"run", 0, PhaseRun, ""},

		{"held", 'u', PhaseHeld, "status down pid=0 want=u"},
		{"held", 'd', PhaseHeld, "status down pid=0 want=d"},
		{"held", 'o', PhaseHeld, "status down pid=0 want=d"},
		{"held", 'x', PhaseExited, "status down pid=0 want=d; exit 0"},
		{"held", 't', PhaseHeld, ""},
		{"held", 'k', PhaseHeld, ""},
		{"held", 'p', PhaseHeld, "status down, paused pid=0 want=u"},
		{"held", 'c', PhaseHeld, "status down pid=0 want=u"},
		{"held", 'h', PhaseHeld, ""},
		{"held", 'a', PhaseHeld, ""},
		{"held", 'i', PhaseHeld, ""},
		{"held", 'q', PhaseHeld, ""},
		{"held", '1', PhaseHeld, ""},
		{"held", '2', PhaseHeld, ""},

		{"stopping", 'u', PhaseStopping, "status run, got TERM pid=100 want=u"},
		{"stopping", 'd', PhaseStopping, "status run, got TERM, want down pid=100 want=d; script t; kill 100 TERM; status run, got TERM, want down pid=100 want=d; kill 100 CONT; script d"},
		{"stopping", 'o', PhaseStopping, "status run, got TERM, want down pid=100 want=d"},
		{"stopping", 'x', PhaseStopping, "status run, got TERM, want exit pid=100 want=d; script t; kill 100 TERM; status run, got TERM, want exit pid=100 want=d; kill 100 CONT; script x"},
		{"stopping", 't', PhaseStopping, "script t; kill 100 TERM; status run, got TERM pid=100 want=u"},
		{"stopping", 'k', PhaseKilled, "script k; kill 100 KILL"},
		{"stopping", 'p', PhaseStopping, "script p; kill 100 STOP; status run, paused, got TERM pid=100 want=u"},
		{"stopping", 'c', PhaseStopping, "script c; kill 100 CONT; status run, got TERM pid=100 want=u"},
		{"stopping", 'h', PhaseStopping, "script h; kill 100 HUP"},
		{"stopping", 'a', PhaseStopping, "script a; kill 100 ALRM"},
		{"stopping", 'i', PhaseStopping, "script i; kill 100 INT"},
		{"stopping", 'q', PhaseStopping, "script q; kill 100 QUIT"},
		{"stopping", '1', PhaseStopping, "script 1; kill 100 USR1"},
		{"stopping", '2', PhaseStopping, "script 2; kill 100 USR2"},

		// killed: the status says down, the process is not reaped; no byte
		// reaches it. As in runit, 'u' and 'o' start ./run at once (state
		// down is all runit looks at); the old process's exit is ignored.
		{"killed", 'u', PhaseRun, "status down pid=100 want=u; script u; clearready; start run; status run pid=101 want=u"},
		{"killed", 'd', PhaseKilled, "status down pid=100 want=d"},
		{"killed", 'o', PhaseRun, "status down pid=100 want=d; script u; clearready; start run; status run, want down pid=101 want=d"},
		{"killed", 'x', PhaseExited, "status down pid=100 want=d; exit 0"},
		{"killed", 't', PhaseKilled, ""},
		{"killed", 'k', PhaseKilled, ""},
		{"killed", 'p', PhaseKilled, "status down, paused pid=100 want=u"},
		{"killed", 'c', PhaseKilled, "status down pid=100 want=u"},
		{"killed", 'h', PhaseKilled, ""},
		{"killed", 'a', PhaseKilled, ""},
		{"killed", 'i', PhaseKilled, ""},
		{"killed", 'q', PhaseKilled, ""},
		{"killed", '1', PhaseKilled, ""},
		{"killed", '2', PhaseKilled, ""},

		// finish: ./finish runs; only p, c and k touch the state, no
		// signal reaches ./finish (runit's rules: "running" is state run).
		{"finish", 'u', PhaseFinish, "status finish pid=101 want=u"},
		{"finish", 'd', PhaseFinish, "status finish, want down pid=101 want=d"},
		{"finish", 'o', PhaseFinish, "status finish, want down pid=101 want=d"},
		{"finish", 'x', PhaseFinish, "status finish, want exit pid=101 want=d"},
		{"finish", 't', PhaseFinish, ""},
		{"finish", 'k', PhaseKilled, ""},
		{"finish", 'p', PhaseFinish, "status finish, paused pid=101 want=u"},
		{"finish", 'c', PhaseFinish, "status finish pid=101 want=u"},
		{"finish", 'h', PhaseFinish, ""},
		{"finish", 'a', PhaseFinish, ""},
		{"finish", 'i', PhaseFinish, ""},
		{"finish", 'q', PhaseFinish, ""},
		{"finish", '1', PhaseFinish, ""},
		{"finish", '2', PhaseFinish, ""},

		{"paused", 'u', PhaseRun, "status run, paused pid=100 want=u"},
		{"paused", 'd', PhaseStopping, "status run, paused, want down pid=100 want=d; script t; kill 100 TERM; status run, paused, got TERM, want down pid=100 want=d; kill 100 CONT; script d"},
		{"paused", 'c', PhaseRun, "script c; kill 100 CONT; status run pid=100 want=u"},
		{"paused", 'p', PhaseRun, "script p; kill 100 STOP; status run, paused pid=100 want=u"},
	}
	for _, r := range rows {
		t.Run(r.state+"/"+strconv.QuoteRune(rune(r.c)), func(t *testing.T) {
			s := states[r.state]()
			got := s.ctl(r.c)
			if got != r.acts || s.st.Phase(MainSvc) != r.phase {
				t.Errorf("%s, %q ->\n got  %s, [%s]\n want %s, [%s]", r.state, r.c, s.st.Phase(MainSvc), got, r.phase, r.acts)
			}
		})
	}
}

func ev(k EventKind) Event { return Event{Kind: k} }

// TestMachineTransitions: the transitions the integration tests drive
// (runsv_test.go, extras_test.go, ours_test.go), one row each: a state
// reached by events, one more event (at a time), the state and actions.
func TestMachineTransitions(t *testing.T) {
	withLog := func() *sim { s := newSim(true, false, false); s.ev(ev(EvBegin)); return s }
	rows := []struct {
		name  string
		from  func() *sim
		do    func(s *sim) string
		phase Phase
		acts  string
	}{
		{"begin, want up", func() *sim { return newSim(false, false, false) },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseRun, "script u; clearready; start run; status run pid=100 want=u"},
		{"begin, down file", func() *sim { return newSim(false, true, false) },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseDown, ""},
		{"begin with a log: the log first", func() *sim { return newSim(true, false, false) },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseRun, "log clearready; log start logrun; log status run pid=100 want=u; script u; clearready; start run; status run pid=101 want=u"},
		{"begin, log/down", func() *sim { return newSim(true, false, true) },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseRun, "script u; clearready; start run; status run pid=100 want=u"},
		{"run exits after 5 s: restarted at once", states["run"],
			func(s *sim) string { return s.after(5*time.Second).exit(100, 0) }, PhaseRun, "clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=101 want=u"},
		{"run exits after 0.5 s: held a second", states["run"],
			func(s *sim) string { return s.after(500*time.Millisecond).exit(100, 1<<8) }, PhaseHeld, "clearready; status down pid=0 want=u; arm hold +1s"},
		{"'k' during ./finish, then 'u': ./run starts while ./finish runs (runit)", func() *sim { s := states["finish"](); s.ctl('k'); return s },
			func(s *sim) string { return s.ctl('u') }, PhaseRun, "status down pid=101 want=u; script u; clearready; start run; status run pid=102 want=u"},
		{"... and the old ./finish's exit is a stranger's", func() *sim { s := states["finish"](); s.ctl('k'); s.ctl('u'); return s },
			func(s *sim) string { return s.exit(101, 0) }, PhaseRun, ""},
		{"exit of another pid: ignored", states["run"],
			func(s *sim) string { return s.exit(4711, 0) }, PhaseRun, ""},
		{"hold timer due: started", states["held"],
			func(s *sim) string { return s.after(time.Second).ev(Event{Kind: EvTimer, Timer: TimerHold}) }, PhaseRun, "script u; clearready; start run; status run pid=101 want=u"},
		{"hold timer early: nothing", states["held"],
			func(s *sim) string { return s.after(500 * time.Millisecond).ev(Event{Kind: EvTimer, Timer: TimerHold}) }, PhaseHeld, ""},
		{"'d' while held: no start when the hold ends", func() *sim { s := states["held"](); s.ctl('d'); return s },
			func(s *sim) string { return s.after(time.Second).ev(Event{Kind: EvTimer, Timer: TimerHold}) }, PhaseDown, ""},
		{"'o' while held: one start when the hold ends", func() *sim { s := states["held"](); s.ctl('o'); return s },
			func(s *sim) string { return s.after(time.Second).ev(Event{Kind: EvTimer, Timer: TimerHold}) }, PhaseRun, "script u; clearready; start run; status run, want down pid=101 want=d"},
		{"once: no restart after the exit", func() *sim {
			s := states["held"]()
			s.ctl('o')
			s.after(time.Second).ev(Event{Kind: EvTimer})
			return s
		},
			func(s *sim) string { return s.after(5*time.Second).exit(101, 0) }, PhaseDown, "clearready; status down pid=0 want=d"},
		{"run exits 3 with ./finish: finish 3 0", func() *sim { s := states["run"](); s.conf.Finish = true; return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 3<<8) }, PhaseFinish, "clearready; status finish pid=0 want=u; start finish 768; status finish pid=101 want=u"},
		{"run killed by signal 9 with ./finish", func() *sim { s := states["run"](); s.conf.Finish = true; return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 9) }, PhaseFinish, "clearready; status finish pid=0 want=u; start finish 9; status finish pid=101 want=u"},
		{"finish exits: down, restarted", states["finish"],
			func(s *sim) string { s.conf.Finish = true; return s.exit(101, 0) }, PhaseRun, "clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=102 want=u"},
		{"finish exits, want down: stays down", func() *sim { s := states["finish"](); s.ctl('d'); return s },
			func(s *sim) string { s.conf.Finish = true; return s.exit(101, 0) }, PhaseDown, "clearready; status down pid=0 want=d"},
		{"timeout-finish arms a kill timer", func() *sim { s := states["run"](); s.conf = Conf{Finish: true, TimeoutFinish: 300}; return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 0) }, PhaseFinish, "clearready; status finish pid=0 want=u; start finish 0; status finish pid=101 want=u; arm kill +300ms"},
		{"timeout-finish due: KILL", func() *sim {
			s := states["run"]()
			s.conf = Conf{Finish: true, TimeoutFinish: 300}
			s.after(5*time.Second).exit(100, 0)
			s.conf = Conf{}
			return s
		}, func(s *sim) string { return s.after(300 * time.Millisecond).ev(Event{Kind: EvTimer, Timer: TimerKill}) }, PhaseFinish, "kill 101 KILL; kill 101 CONT"},
		{"timeout-kill: 'd' arms the kill timer", func() *sim { s := states["run"](); s.conf.TimeoutKill = 1000; return s },
			func(s *sim) string { return s.ctl('d') }, PhaseStopping, "status run, want down pid=100 want=d; script t; kill 100 TERM; status run, got TERM, want down pid=100 want=d; arm kill +1s; kill 100 CONT; script d"},
		{"timeout-kill due: KILL and CONT", states["stopping"],
			func(s *sim) string { return s.after(2 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerKill}) }, PhaseStopping, "kill 100 KILL; kill 100 CONT"},
		{"timeout-kill early: nothing", states["stopping"],
			func(s *sim) string { return s.after(time.Second).ev(Event{Kind: EvTimer, Timer: TimerKill}) }, PhaseStopping, ""},
		{"exit while the kill timer runs: cancelled", states["stopping"],
			func(s *sim) string { return s.after(5*time.Second).exit(100, 15) }, PhaseRun, "cancel kill; clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=101 want=u"},
		{"timeout-kill 0: no timer", func() *sim { s := states["run"](); s.conf.TimeoutKill = 0; return s },
			func(s *sim) string { return s.ctl('t') }, PhaseStopping, "script t; kill 100 TERM; status run, got TERM pid=100 want=u"},
		{"timeout-kill too large: no timer", func() *sim { s := states["run"](); s.conf.TimeoutKill = 1e13; return s },
			func(s *sim) string { return s.ctl('t') }, PhaseStopping, "script t; kill 100 TERM; status run, got TERM pid=100 want=u"},
		{"killed process reaped: restarted", states["killed"],
			func(s *sim) string { return s.after(5*time.Second).exit(100, 9) }, PhaseRun, "clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=101 want=u"},
		{"SIGTERM is 'x'", states["run"],
			func(s *sim) string { return s.ev(ev(EvTerm)) }, PhaseStopping, "status run, want exit pid=100 want=d; script t; kill 100 TERM; status run, got TERM, want exit pid=100 want=d; kill 100 CONT; script x"},
		{"want exit, run exits: runsv exits", func() *sim { s := states["run"](); s.ctl('x'); return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 15) }, PhaseExited, "clearready; status down pid=0 want=d; exit 0"},
		{"want exit, run exits with ./finish: finish first", func() *sim { s := states["run"](); s.ctl('x'); s.conf.Finish = true; return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 15) }, PhaseFinish, "clearready; status finish, want exit pid=0 want=d; start finish 15; status finish, want exit pid=101 want=d"},
		{"want exit, finish exits: runsv exits", func() *sim { s := states["finish"](); s.ctl('x'); return s },
			func(s *sim) string { return s.exit(101, 0) }, PhaseExited, "clearready; status down pid=0 want=d; exit 0"},
		{"after the exit, nothing", func() *sim { s := states["down"](); s.ctl('x'); return s },
			func(s *sim) string { return s.ctl('u') }, PhaseExited, ""},
		{"with a log, main down: the log is told to exit", func() *sim { s := withLog(); s.ctl('x'); return s },
			func(s *sim) string { return s.after(5*time.Second).exit(101, 15) }, PhaseDown, "clearready; status down pid=0 want=d; log status run, want exit pid=100 want=d; closelog"},
		{"the log exits last: runsv exits", func() *sim { s := withLog(); s.ctl('x'); s.after(5*time.Second).exit(101, 15); return s },
			func(s *sim) string { return s.ev(Event{Kind: EvExit, Target: LogSvc, Pid: 100}) }, PhaseExited, "log clearready; log status down pid=0 want=d; exit 0"},
		{"log exits: restarted (log/run)", withLog,
			func(s *sim) string { return s.after(5 * time.Second).ev(Event{Kind: EvExit, Target: LogSvc, Pid: 100}) }, PhaseRun, "log clearready; log status down pid=0 want=u; log clearready; log start logrun; log status run pid=102 want=u"},
		{"log exits at once: held", withLog,
			func(s *sim) string { return s.ev(Event{Kind: EvExit, Target: LogSvc, Pid: 100}) }, PhaseRun, "log clearready; log status down pid=0 want=u; log arm hold +1s"},
		{"'x' to the log: ignored", withLog,
			func(s *sim) string { return s.ev(Event{Kind: EvControl, Target: LogSvc, Byte: 'x'}) }, PhaseRun, ""},
		{"'t' to the log: TERM, no script", withLog,
			func(s *sim) string { return s.ev(Event{Kind: EvControl, Target: LogSvc, Byte: 't'}) }, PhaseRun, "log kill 100 TERM; log status run, got TERM pid=100 want=u"},
		{"'d' to the log: TERM, CONT, no script", withLog,
			func(s *sim) string { return s.ev(Event{Kind: EvControl, Target: LogSvc, Byte: 'd'}) }, PhaseRun, "log status run, want down pid=100 want=d; log kill 100 TERM; log status run, got TERM, want down pid=100 want=d; log kill 100 CONT"},
		{"'u' to a log with log/down", func() *sim { s := newSim(true, false, true); s.ev(ev(EvBegin)); return s },
			func(s *sim) string { return s.ev(Event{Kind: EvControl, Target: LogSvc, Byte: 'u'}) }, PhaseRun, "log status down pid=0 want=u; log clearready; log start logrun; log status run pid=101 want=u"},
		{"log event without a log: ignored", states["run"],
			func(s *sim) string { return s.ev(Event{Kind: EvControl, Target: LogSvc, Byte: 'd'}) }, PhaseRun, ""},
		{"./run cannot be executed: runit's 111", func() *sim { s := newSim(false, false, false); s.failStart = 1; return s },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseHeld, "script u; clearready; start run; status run pid=0 want=u; clearready; status down pid=0 want=u; arm hold +1s"},
		{"./run cannot be executed, ./finish there", func() *sim { s := newSim(false, false, false); s.failStart = 1; s.conf.Finish = true; return s },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseHeld, "script u; clearready; start run; status run pid=0 want=u; clearready; status finish pid=0 want=u; start finish 28416; clearready; status down pid=0 want=u; arm hold +1s"},
		{"fork fails: retry in 5 s", func() *sim { s := newSim(false, false, false); s.failStart = 2; return s },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseHeld, "script u; clearready; start run; arm hold +5s"},
		{"backoff 8, first quick exit: 1 s", func() *sim { s := states["run"](); s.conf.Backoff = 8; return s },
			func(s *sim) string { return s.exit(100, 1<<8) }, PhaseHeld, "clearready; status down pid=0 want=u; arm hold +1s"},
		{"backoff 8, second quick exit: 2 s", func() *sim {
			s := states["run"]()
			s.conf.Backoff = 8
			s.exit(100, 1<<8)
			s.after(time.Second).ev(Event{Kind: EvTimer})
			return s
		}, func(s *sim) string { return s.exit(101, 1<<8) }, PhaseHeld, "clearready; status down pid=0 want=u; arm hold +2s"},
		{"backoff: 'u' cuts the wait to 1 s", func() *sim {
			s := states["run"]()
			s.conf.Backoff = 8
			s.exit(100, 1<<8)
			s.after(time.Second).ev(Event{Kind: EvTimer})
			s.exit(101, 1<<8)
			return s
		}, func(s *sim) string { return s.ctl('u') }, PhaseHeld, "status down pid=0 want=u; arm hold +1s"},
		{"backoff: a long run resets it", func() *sim {
			s := states["run"]()
			s.conf.Backoff = 8
			s.exit(100, 1<<8)
			s.after(time.Second).ev(Event{Kind: EvTimer})
			return s
		}, func(s *sim) string { return s.after(10*time.Second).exit(101, 1<<8) }, PhaseRun, "clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=102 want=u"},
		{"ready line: supervise/ready", states["run"],
			func(s *sim) string { return s.ev(ev(EvReady)) }, PhaseRun, "ready"},
		{"ready line with no process: nothing", states["down"],
			func(s *sim) string { return s.ev(ev(EvReady)) }, PhaseDown, ""},
		{"control/h exits 0: no HUP", func() *sim { s := states["run"](); s.ok = "h"; return s },
			func(s *sim) string { return s.ctl('h') }, PhaseRun, "script h"},
		{"control/t exits 0: no TERM on 'd'", func() *sim { s := states["run"](); s.ok = "t"; return s },
			func(s *sim) string { return s.ctl('d') }, PhaseRun, "status run, want down pid=100 want=d; script t; kill 100 CONT; script d"},
		{"control/k exits 0: no KILL, still down", func() *sim { s := states["run"](); s.ok = "k"; return s },
			func(s *sim) string { return s.ctl('k') }, PhaseKilled, "script k"},
		{"control/p exits 0: no STOP, paused", func() *sim { s := states["run"](); s.ok = "p"; return s },
			func(s *sim) string { return s.ctl('p') }, PhaseRun, "script p; status run, paused pid=100 want=u"},
		{"control/u exits 0: started all the same", func() *sim { s := states["down"](); s.ok = "u"; return s },
			func(s *sim) string { return s.ctl('u') }, PhaseRun, "status down pid=0 want=u; script u; clearready; start run; status run pid=100 want=u"},
		{"a byte while a script is awaited: refused", func() *sim {
			s := states["run"]()
			s.st, _ = Step(s.st, Event{Kind: EvControl, Byte: 'p'}, s.now, nil)
			return s
		}, func(s *sim) string {
			var acts []Action
			s.st, acts = Step(s.st, Event{Kind: EvControl, Byte: 'd'}, s.now, nil)
			return strconv.Itoa(len(acts))
		}, PhaseScript, "0"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			s := r.from()
			got := r.do(s)
			if got != r.acts || s.st.Phase(MainSvc) != r.phase {
				t.Errorf("%s ->\n got  %s, [%s]\n want %s, [%s]", r.name, s.st.Phase(MainSvc), got, r.phase, r.acts)
			}
		})
	}
}

// TestMachineStepAllocs: a step with a reused action buffer allocates
// nothing (the host's loop steps for every control byte).
func TestMachineStepAllocs(t *testing.T) {
	s := states["run"]()
	buf := make([]Action, 0, 32)
	n := testing.AllocsPerRun(100, func() {
		var acts []Action
		s.st, acts = Step(s.st, Event{Kind: EvControl, Byte: 'p'}, s.now, buf[:0])
		s.st, acts = Step(s.st, Event{Kind: EvScriptDone, OK: false}, s.now, acts[:0])
		s.st, _ = Step(s.st, Event{Kind: EvControl, Byte: 'u'}, s.now, acts[:0])
	})
	if n != 0 {
		t.Fatalf("%v allocations per step", n)
	}
}

// checkSim is a service with ./check and check-interval 10 (and conf's
// other fields), begun at t0: ./run is pid 100, its first check is due at
// t0+10s.
func checkSim(conf Conf) *sim {
	s := newSim(false, false, false)
	conf.CheckInterval = 10
	s.conf = conf
	s.ev(ev(EvBegin))
	return s
}

// checking is checkSim with its first check running.
func checking(conf Conf) *sim {
	s := checkSim(conf)
	s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck})
	return s
}

// failedChecks is checkSim after n failed checks.
func failedChecks(conf Conf, n int) *sim {
	s := checkSim(conf)
	for i := 0; i < n; i++ {
		s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck})
		s.ev(Event{Kind: EvCheckDone})
	}
	return s
}

func checkDone(ok bool) Event { return Event{Kind: EvCheckDone, OK: ok} }

// TestMachineLiveness: the liveness check's rows (check-interval,
// check-timeout, check-failures, notification-fd), with the state's
// counters after the step.
func TestMachineLiveness(t *testing.T) {
	rows := []struct {
		name  string
		from  func() *sim
		do    func(s *sim) string
		phase Phase
		acts  string
		fails uint64
		res   CheckResult
	}{
		{"begin with check-interval 10: first check in 10 s", func() *sim { s := newSim(false, false, false); s.conf.CheckInterval = 10; return s },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseRun, "script u; clearready; start run; status run pid=100 want=u; arm check +10s", 0, CheckNone},
		{"with notification-fd: no check before ready", func() *sim {
			s := newSim(false, false, false)
			s.conf = Conf{CheckInterval: 10, Notify: true}
			return s
		}, func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseRun, "script u; clearready; start run; status run pid=100 want=u", 0, CheckNone},
		{"... ready: first check in 10 s", func() *sim {
			s := newSim(false, false, false)
			s.conf = Conf{CheckInterval: 10, Notify: true}
			s.ev(ev(EvBegin))
			return s
		}, func(s *sim) string { return s.after(time.Second).ev(ev(EvReady)) }, PhaseRun, "ready; arm check +10s", 0, CheckNone},
		{"ready while the checks already run: no second timer", func() *sim { return checkSim(Conf{}) },
			func(s *sim) string { return s.after(time.Second).ev(ev(EvReady)) }, PhaseRun, "ready", 0, CheckNone},
		{"interval over: check, timeout the interval", func() *sim { return checkSim(Conf{}) },
			func(s *sim) string { return s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck}) }, PhaseRun, "check; arm check +10s", 0, CheckNone},
		{"interval over, check-timeout 2", func() *sim { return checkSim(Conf{CheckTimeout: 2}) },
			func(s *sim) string { return s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck}) }, PhaseRun, "check; arm check +2s", 0, CheckNone},
		{"timer early: nothing", func() *sim { return checkSim(Conf{}) },
			func(s *sim) string { return s.after(time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck}) }, PhaseRun, "", 0, CheckNone},
		{"check-interval removed: no check, no timer", func() *sim { s := checkSim(Conf{}); s.conf.CheckInterval = 0; return s },
			func(s *sim) string { return s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck}) }, PhaseRun, "", 0, CheckNone},
		{"check exits 0: ok, next in 10 s", func() *sim { return checking(Conf{}) },
			func(s *sim) string { return s.after(time.Second).ev(checkDone(true)) }, PhaseRun, "cancel check; arm check +10s", 0, CheckOK},
		{"check fails: one failure, next in 10 s", func() *sim { return checking(Conf{}) },
			func(s *sim) string { return s.ev(checkDone(false)) }, PhaseRun, "cancel check; arm check +10s", 1, CheckFail},
		{"check times out: killed, a failure", func() *sim { return checking(Conf{}) },
			func(s *sim) string { return s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck}) }, PhaseRun, "killcheck; arm check +10s", 1, CheckFail},
		{"a success resets the count", func() *sim {
			s := failedChecks(Conf{}, 2)
			s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck})
			return s
		},
			func(s *sim) string { return s.ev(checkDone(true)) }, PhaseRun, "cancel check; arm check +10s", 0, CheckOK},
		{"third failure: warning, TERM (no control/t)", func() *sim {
			s := failedChecks(Conf{}, 2)
			s.ok = "t"
			s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck})
			return s
		},
			func(s *sim) string { return s.ev(checkDone(false)) }, PhaseStopping, "cancel check; warn check 3; kill 100 TERM; status run, got TERM pid=100 want=u", 3, CheckFail},
		{"check-failures 1, timeout-kill 500: TERM and the kill timer", func() *sim { return checking(Conf{CheckFailures: 1, TimeoutKill: 500}) },
			func(s *sim) string { return s.ev(checkDone(false)) }, PhaseStopping, "cancel check; warn check 1; kill 100 TERM; status run, got TERM pid=100 want=u; arm kill +500ms", 1, CheckFail},
		{"... and the service exits: restarted, checks anew", func() *sim { s := checking(Conf{CheckFailures: 1}); s.ev(checkDone(false)); return s },
			func(s *sim) string { return s.after(time.Second).exit(100, 15) }, PhaseRun, "clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=101 want=u; arm check +10s", 0, CheckFail},
		{"the service exits while its check runs: killed, dropped", func() *sim { return checking(Conf{}) },
			func(s *sim) string { return s.after(time.Second).exit(100, 0) }, PhaseRun, "killcheck; cancel check; clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=101 want=u; arm check +10s", 0, CheckNone},
		{"a check's end after the service's: ignored", func() *sim { s := checking(Conf{}); s.after(time.Second).exit(100, 0); return s },
			func(s *sim) string { return s.ev(checkDone(false)) }, PhaseRun, "", 0, CheckNone},
		{"'d': the timer goes with the exit", func() *sim { s := checkSim(Conf{}); s.ctl('d'); return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 15) }, PhaseDown, "cancel check; clearready; status down pid=0 want=d", 0, CheckNone},
		{"got TERM: no check, no timer", func() *sim { s := checkSim(Conf{}); s.ctl('t'); return s },
			func(s *sim) string { return s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck}) }, PhaseStopping, "", 0, CheckNone},
		{"paused: no check, the interval begins again", func() *sim { s := checkSim(Conf{}); s.ctl('p'); return s },
			func(s *sim) string { return s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck}) }, PhaseRun, "arm check +10s", 0, CheckNone},
		{"a check's failure while the service stops: counted, no TERM", func() *sim { s := checking(Conf{CheckFailures: 1}); s.ctl('t'); return s },
			func(s *sim) string { return s.ev(checkDone(false)) }, PhaseStopping, "cancel check", 1, CheckFail},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			s := r.from()
			got := r.do(s)
			m := &s.st.Main
			if got != r.acts || s.st.Phase(MainSvc) != r.phase || m.CheckFails != r.fails || m.Result != r.res {
				t.Errorf("%s ->\n got  %s, [%s] fails %d result %d\n want %s, [%s] fails %d result %d", r.name,
					s.st.Phase(MainSvc), got, m.CheckFails, m.Result, r.phase, r.acts, r.fails, r.res)
			}
		})
	}
}

// TestMachineGiveUp: max-restarts's rows.
func TestMachineGiveUp(t *testing.T) {
	run := func(conf Conf) func() *sim {
		return func() *sim { s := newSim(false, false, false); s.conf = conf; s.ev(ev(EvBegin)); return s }
	}
	// quick: ./run (pid 100) exited 1 after 0.5 s and was restarted (pid 101).
	quick := func(conf Conf) func() *sim {
		return func() *sim {
			s := run(conf)()
			s.after(500*time.Millisecond).exit(100, 1<<8)
			s.after(time.Second).ev(Event{Kind: EvTimer})
			return s
		}
	}
	given := func() *sim { s := quick(Conf{MaxRestarts: 2})(); s.exit(101, 1<<8); return s }
	rows := []struct {
		name   string
		from   func() *sim
		do     func(s *sim) string
		phase  Phase
		acts   string
		failed bool
	}{
		{"first quick end of 2: held as before", run(Conf{MaxRestarts: 2}),
			func(s *sim) string { return s.after(500*time.Millisecond).exit(100, 1<<8) }, PhaseHeld, "clearready; status down pid=0 want=u; arm hold +1s", false},
		{"second: given up, no hold, status as a plain down", quick(Conf{MaxRestarts: 2}),
			func(s *sim) string { return s.exit(101, 1<<8) }, PhaseDown, "clearready; warn giveup 2/60s; status down pid=0 want=u", true},
		{"given up: no start after a second", given,
			func(s *sim) string { return s.after(time.Hour).ev(Event{Kind: EvTimer}) }, PhaseDown, "", true},
		{"given up: 'u' starts it", given,
			func(s *sim) string { return s.ctl('u') }, PhaseRun, "status down pid=0 want=u; script u; clearready; start run; status run pid=102 want=u", false},
		{"given up: 'o' starts it once", given,
			func(s *sim) string { return s.ctl('o') }, PhaseRun, "status down pid=0 want=d; script u; clearready; start run; status run, want down pid=102 want=d", false},
		{"given up: 'd' leaves it failed", given,
			func(s *sim) string { return s.ctl('d') }, PhaseDown, "status down pid=0 want=d", true},
		{"after 'u' the count begins again", func() *sim { s := given(); s.ctl('u'); return s },
			func(s *sim) string { return s.after(500*time.Millisecond).exit(102, 1<<8) }, PhaseHeld, "clearready; status down pid=0 want=u; arm hold +1s", false},
		{"window 10: the second end 11 s later does not count with the first", quick(Conf{MaxRestarts: 2, RestartWindow: 10}),
			func(s *sim) string { return s.after(10*time.Second).exit(101, 1<<8) }, PhaseRun, "clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=102 want=u", false},
		{"window 20: it does", quick(Conf{MaxRestarts: 2, RestartWindow: 20}),
			func(s *sim) string { return s.after(10*time.Second).exit(101, 1<<8) }, PhaseDown, "clearready; warn giveup 2/20s; status down pid=0 want=u", true},
		{"an exit after 't' was asked for: not counted", func() *sim { s := run(Conf{MaxRestarts: 1})(); s.ctl('t'); return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 15) }, PhaseRun, "clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=101 want=u", false},
		{"an exit after 'k': not counted", func() *sim { s := run(Conf{MaxRestarts: 1})(); s.ctl('k'); return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 9) }, PhaseRun, "clearready; status down pid=0 want=u; script u; clearready; start run; status run pid=101 want=u", false},
		{"an exit 0 counts too", run(Conf{MaxRestarts: 1}),
			func(s *sim) string { return s.after(5*time.Second).exit(100, 0) }, PhaseDown, "clearready; warn giveup 1/60s; status down pid=0 want=u", true},
		{"a restart by the liveness check counts", func() *sim {
			s := run(Conf{MaxRestarts: 1, CheckInterval: 10, CheckFailures: 1})()
			s.after(10 * time.Second).ev(Event{Kind: EvTimer, Timer: TimerCheck})
			s.ev(checkDone(false))
			return s
		}, func(s *sim) string { return s.exit(100, 15) }, PhaseDown, "clearready; warn giveup 1/60s; status down pid=0 want=u", true},
		{"with ./finish: given up, ./finish runs", run(Conf{MaxRestarts: 1, Finish: true}),
			func(s *sim) string { return s.exit(100, 1<<8) }, PhaseFinish, "clearready; warn giveup 1/60s; status finish pid=0 want=u; start finish 256; status finish pid=101 want=u", true},
		{"... then the service stays down", func() *sim { s := run(Conf{MaxRestarts: 1, Finish: true})(); s.exit(100, 1<<8); return s },
			func(s *sim) string { return s.exit(101, 0) }, PhaseDown, "clearready; status down pid=0 want=u", true},
		{"./run cannot be executed: counted", func() *sim { s := newSim(false, false, false); s.conf.MaxRestarts = 1; s.failStart = 1; return s },
			func(s *sim) string { return s.ev(ev(EvBegin)) }, PhaseDown, "script u; clearready; start run; status run pid=0 want=u; clearready; warn giveup 1/60s; status down pid=0 want=u", true},
		{"want down ('o'): not counted", func() *sim { s := states["down"](); s.conf.MaxRestarts = 1; s.ctl('o'); return s },
			func(s *sim) string { return s.after(5*time.Second).exit(100, 1<<8) }, PhaseDown, "clearready; status down pid=0 want=d", false},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			s := r.from()
			got := r.do(s)
			if got != r.acts || s.st.Phase(MainSvc) != r.phase || s.st.Main.Failed != r.failed {
				t.Errorf("%s ->\n got  %s, [%s] failed %v\n want %s, [%s] failed %v", r.name, s.st.Phase(MainSvc), got, s.st.Main.Failed, r.phase, r.acts, r.failed)
			}
		})
	}
}
