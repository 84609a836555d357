package runsv

import (
	"syscall"
	"testing"
	"time"

	"gorunit/internal/supervise"
)

// world is a host for FuzzMachine: it keeps the processes the machine
// started and the timers it armed, and checks every action against them.
type world struct {
	t         *testing.T
	st        State
	now       time.Time
	nextPid   int
	live      [2]int  // live process per target (0: none)
	prog      [2]Prog // what it is
	timers    [2][NTimers]time.Time
	checkRuns [2]bool // a ./check runs (its result not dropped)
	once      [2]bool // an 'o' asked for one start
	okMask    byte    // which control scripts exit 0 (bit per letter index)
	fail      byte    // start failures: 1 exec, 2 fork
	exited    bool
	acts      []Action
}

func (w *world) step(e Event) {
	for n := 0; ; n++ {
		if n > 16 {
			w.t.Fatalf("more than 16 questions in a row")
		}
		if w.exited {
			var acts []Action
			w.st, acts = Step(w.st, e, w.now, w.acts[:0])
			if len(acts) != 0 {
				w.t.Fatalf("actions after the exit: %v", acts)
			}
			return
		}
		var acts []Action
		w.st, acts = Step(w.st, e, w.now, w.acts[:0])
		w.acts = acts
		var answer *Event
		for i := range acts {
			a := &acts[i]
			if answer != nil {
				w.t.Fatalf("an action after a question: %+v", *a)
			}
			answer = w.do(a)
		}
		w.check()
		if answer == nil {
			return
		}
		e = *answer
	}
}

func (w *world) do(a *Action) *Event {
	t := a.Target
	s := w.st.Svc(t)
	switch a.Kind {
	case ActStart:
		// A start while a process lives only after 'k' (state down, as
		// runit): the old process becomes a stranger.
		if w.live[t] != 0 && (s.State != supervise.Down || s.Pid != w.live[t]) {
			w.t.Fatalf("start of %v while %d (%v) runs", a.Prog, w.live[t], w.prog[t])
		}
		if a.Prog == ProgRun && s.Want != supervise.InternalWantUp && !w.once[t] {
			w.t.Fatalf("./run started with want %d and no 'o'", s.Want)
		}
		if a.Prog == ProgLogRun && s.Want != supervise.InternalWantUp && !w.once[t] {
			w.t.Fatalf("log/run started with want %d and no 'o'", s.Want)
		}
		if (a.Prog == ProgLogRun) != (t == LogSvc) {
			w.t.Fatalf("%v for target %d", a.Prog, t)
		}
		w.once[t] = false
		switch w.fail {
		case 1:
			w.live[t] = 0 // the old process, if any, is a stranger now
			return &Event{Kind: EvStartFailed, Target: t}
		case 2:
			return &Event{Kind: EvStartFailed, Target: t, Retry: true}
		}
		w.nextPid++
		w.live[t], w.prog[t] = w.nextPid, a.Prog
		return &Event{Kind: EvStarted, Target: t, Pid: w.nextPid}
	case ActScript:
		if t != MainSvc {
			w.t.Fatalf("control script for the log")
		}
		return &Event{Kind: EvScriptDone, Target: t, OK: w.okMask&(1<<(a.C%8)) != 0}
	case ActSignal:
		if a.Pid == 0 || a.Pid != w.live[t] {
			w.t.Fatalf("signal %d to %d, live is %d", a.Sig, a.Pid, w.live[t])
		}
		if w.prog[t] == ProgFinish && a.Sig != syscall.SIGKILL && a.Sig != syscall.SIGCONT {
			w.t.Fatalf("signal %d to ./finish", a.Sig)
		}
	case ActWriteStatus:
		if a.Status.Pid != 0 && a.Status.Pid != w.live[t] {
			w.t.Fatalf("status with pid %d, live is %d", a.Status.Pid, w.live[t])
		}
	case ActArmTimer:
		if a.At.Before(w.now) {
			w.t.Fatalf("timer armed in the past")
		}
		if (a.Timer == TimerKill || a.Timer == TimerCheck) && w.live[t] == 0 {
			w.t.Fatalf("timer %d with no process", a.Timer)
		}
		w.timers[t][a.Timer] = a.At
	case ActCancelTimer:
		w.timers[t][a.Timer] = time.Time{}
	case ActCheck:
		if w.live[t] == 0 || s.State != supervise.Run || s.Term || w.checkRuns[t] {
			w.t.Fatalf("check started: live %d, state %d, term %v, a check running %v", w.live[t], s.State, s.Term, w.checkRuns[t])
		}
		w.checkRuns[t] = true
	case ActKillCheck:
		if !w.checkRuns[t] {
			w.t.Fatalf("kill of a check that does not run")
		}
		w.checkRuns[t] = false
	case ActWarn:
		if a.Warn == WarnGiveUp && !s.Failed {
			w.t.Fatalf("give-up warning, not failed")
		}
	case ActExit:
		if w.st.HaveLog && w.live[LogSvc] != 0 {
			w.t.Fatalf("runsv exits while its logger %d runs", w.live[LogSvc])
		}
		if w.st.Main.Want != supervise.InternalWantExit || w.st.Main.State != supervise.Down {
			w.t.Fatalf("runsv exits with main want %d state %d", w.st.Main.Want, w.st.Main.State)
		}
		w.exited = true
	}
	return nil
}

// check tests the invariants of a settled state.
func (w *world) check() {
	for t := MainSvc; t <= LogSvc; t++ {
		s := w.st.Svc(t)
		if s.await != awaitNone {
			continue
		}
		if s.Pid != w.live[t] {
			w.t.Fatalf("target %d: machine pid %d, live %d", t, s.Pid, w.live[t])
		}
		if w.live[t] == 0 && (!s.KillAt.IsZero() || !w.timers[t][TimerKill].IsZero()) {
			w.t.Fatalf("target %d: kill timer armed with no process", t)
		}
		if w.live[t] == 0 && (w.checkRuns[t] || s.Checking || !w.timers[t][TimerCheck].IsZero()) {
			w.t.Fatalf("target %d: a check or its timer with no process", t)
		}
		if s.Checking != w.checkRuns[t] {
			w.t.Fatalf("target %d: machine checking %v, world %v", t, s.Checking, w.checkRuns[t])
		}
		if s.Pid == 0 && s.Term {
			w.t.Fatalf("target %d: got TERM with no process", t)
		}
		if w.st.Phase(t) == PhaseHeld && w.timers[t][TimerHold].IsZero() {
			w.t.Fatalf("target %d: held with no hold timer", t)
		}
		if s.Pid == 0 && !w.exited && !w.st.Awaiting() && s.State != supervise.Finish && !s.held(w.now) && !s.Failed &&
			(t == MainSvc && (s.Want == supervise.InternalWantUp || s.Once) ||
				t == LogSvc && w.st.HaveLog && s.Want == supervise.InternalWantUp && !w.st.LogExiting) {
			w.t.Fatalf("target %d wants a start and was not started (%+v)", t, *s)
		}
	}
}

// FuzzMachine drives the machine with random events, as a host would
// (every question answered, timers fired when due, exits only of live
// processes), and checks the invariants on every action and state: never
// two processes of one service (so never ./finish beside ./run), never a
// start of ./run while want is down unless an 'o' asked for it, signals
// only to the live process, a kill timer only while the process lives,
// a hold timer whenever held, runsv's exit only once the log is gone,
// nothing after the exit; a ./check only while ./run runs (state run, no
// TERM), one at a time, killed when the process ends; no start while
// given up.
func FuzzMachine(f *testing.F) {
	for _, s := range []string{"", "u", "\x00d\x01x", "\x02\x02\x02\x02", "\x05p\x05c\x06", "\x00t\x03\x00\x04\x07", "\x08\x10\x00x\x03\x03",
		"\x0b\x11\x03\x00\x0a\x00\x03\x00\x0a\x01\x03\x00\x03\x00\x02\x00", "\x0c\x01\x02\x00\x04\x20\x02\x00\x00u"} {
		f.Add(byte(3), []byte(s))
	}
	f.Fuzz(func(t *testing.T, setup byte, b []byte) {
		w := &world{t: t, now: t0, nextPid: 99}
		w.st = New(setup&1 != 0, setup&2 != 0, setup&4 != 0, t0)
		conf := Conf{Finish: setup&8 != 0, TimeoutKill: uint64(setup>>4) * 100, TimeoutFinish: uint64(setup>>5) * 300, Backoff: uint64(setup >> 6 * 3)}
		w.step(Event{Kind: EvBegin, Conf: conf})
		for i := 0; i+1 < len(b); i += 2 {
			op, arg := b[i], b[i+1]
			tg := Target(op >> 7)
			e := Event{Target: tg, Conf: conf}
			switch op & 0x0f {
			case 0, 1:
				e.Kind, e.Byte = EvControl, arg
				if s := w.st.Svc(tg); arg == 'o' && s.State == supervise.Down {
					w.once[tg] = true
				}
			case 2:
				if w.live[tg] == 0 {
					continue
				}
				e.Kind, e.Pid, e.Status = EvExit, w.live[tg], syscall.WaitStatus(arg)
				w.live[tg] = 0
			case 3:
				// The earliest timer fires.
				at, tt, tm := w.st.Deadline()
				if at.IsZero() {
					continue
				}
				if at.After(w.now) {
					w.now = at
				}
				w.timers[tt][tm] = time.Time{}
				e.Kind, e.Target, e.Timer = EvTimer, tt, tm
			case 4:
				// Time passes; a host fires the timers due meanwhile.
				to := w.now.Add(time.Duration(arg) * 50 * time.Millisecond)
				for !w.exited {
					at, tt, tm := w.st.Deadline()
					if at.IsZero() || at.After(to) {
						break
					}
					if at.After(w.now) {
						w.now = at
					}
					w.timers[tt][tm] = time.Time{}
					w.step(Event{Kind: EvTimer, Target: tt, Timer: tm, Conf: conf})
				}
				w.now = to
				if w.exited {
					return
				}
				continue
			case 5:
				e.Kind = EvReady
			case 6:
				e.Kind = EvTerm
			case 7:
				w.okMask = arg
				continue
			case 8:
				w.fail = arg % 3
				continue
			case 9:
				conf.Finish = arg&1 != 0
				continue
			case 10:
				// The running check ends.
				if !w.checkRuns[tg] {
					continue
				}
				w.checkRuns[tg] = false
				e.Kind, e.OK = EvCheckDone, arg&1 != 0
			case 11:
				conf.CheckInterval, conf.CheckTimeout, conf.CheckFailures = uint64(arg&3), uint64(arg>>2&3), uint64(arg>>4&3)
				conf.Notify = arg&0x40 != 0
				continue
			case 12:
				conf.MaxRestarts, conf.RestartWindow = uint64(arg&3), uint64(arg>>2&7)
				continue
			default:
				e.Kind, e.Byte = EvControl, "udoxtkpchaiq12"[int(arg)%14]
				if s := w.st.Svc(tg); e.Byte == 'o' && s.State == supervise.Down {
					w.once[tg] = true
				}
			}
			if e.Kind == EvControl && e.Byte == 'u' {
				w.once[tg] = false
			}
			w.step(e)
			if w.exited {
				return
			}
		}
	})
}
