package runsv

// The supervision machine: everything runsv decides, as a pure function
// from (state, event, time) to (state, actions). It makes no system call
// and never reads the clock; the host (runsv's loop in runsv.go, or later
// process 1 hosting many services) turns FIFO bytes, child exits, timers
// and signals into Events and carries out the Actions in order.
//
// A State is one service directory: the main service (./run, ./finish)
// and, if log/ exists, its log service (log/run), which follow the same
// rules but for these: the log has no ./finish and no control/<c>
// scripts, ignores 'x', is started only while it wants up (an 'o' on a
// held log is lost, as before), and is told to exit (its pipe closed)
// only once the main service wants exit and is down. runsv exits when the
// main service wants exit, is down and the log's process is gone.
//
// Two actions are questions: Start (answered by EvStarted or
// EvStartFailed) and Script (answered by EvScriptDone). Such an action is
// always the last of its step, and the host must answer it before it
// delivers any other event to the machine. Check is no question: the host
// starts ./check and delivers EvCheckDone whenever it ends, as an event
// of its own (or never, if a KillCheck drops it first).
//
// Additions (extras.go documents the files): liveness checks (check-interval,
// TimerCheck, Check, EvCheckDone) and the give-up (max-restarts: Failed).

import (
	"syscall"
	"time"

	"gorunit/internal/supervise"
	"gorunit/internal/tai64"
)

// Target is one of the two services of a State.
type Target uint8

const (
	MainSvc Target = iota // ./run and ./finish
	LogSvc                // log/run
)

// Want is what the service is asked to be: the values are
// supervise.InternalWant*.
type Want = int

// Phase names the state of one service. It is derived from the fields of
// Service (which are what the status record shows); see Service.Phase.
type Phase uint8

const (
	PhaseDown     Phase = iota // no process, nothing pending
	PhaseHeld                  // no process; the restart throttle, backoff or a failed fork holds the start until Hold
	PhaseStarting              // a Start was issued, its answer is awaited
	PhaseScript                // a control/<c> script was issued, its answer is awaited
	PhaseRun                   // ./run (log/run) runs
	PhaseStopping              // ./run runs and was sent SIGTERM (status: got TERM); a kill timer may be armed
	PhaseKilled                // 'k' was sent: status says down, the process is not reaped yet
	PhaseFinish                // ./finish runs (or is about to be started)
	PhaseExited                // runsv has exited (main service only)
)

var phaseNames = [...]string{"down", "held", "starting", "script", "run", "stopping", "killed", "finish", "exited"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "phase?"
}

// Prog is what a Start action runs.
type Prog uint8

const (
	ProgRun    Prog = iota // ./run of the main service
	ProgFinish             // ./finish <exit code or -1> <wait status & 0xff>
	ProgLogRun             // log/run, stdin on the log pipe
)

// Timer names one of a service's two timers.
type Timer uint8

const (
	TimerHold  Timer = iota // end of the restart hold: the service may start
	TimerKill               // timeout-kill or timeout-finish: SIGKILL the process
	TimerCheck              // check-interval: start ./check; or, while it runs, check-timeout: kill it
	NTimers                 // the number of timers of a service
)

// EventKind says what happened.
type EventKind uint8

const (
	EvBegin       EventKind = iota // the host is set up: start what should run
	EvControl                      // Byte was read from Target's control FIFO
	EvTerm                         // runsv got SIGTERM (an 'x' for the main service)
	EvStarted                      // answer to Start: the process Pid runs
	EvStartFailed                  // answer to Start: no process; Retry if the fork failed for lack of resources
	EvScriptDone                   // answer to Script: OK if control/<c> exists, is executable and exited 0
	EvExit                         // the process Pid of Target ended with Status
	EvTimer                        // Target's Timer is due
	EvReady                        // Target's process wrote a newline on its notification-fd
	EvCheckDone                    // the ./check of a Check action ended: OK if it exited 0
)

// Conf holds the optional files the machine's rules depend on, read by
// the host when it builds the event (see NeedConf).
type Conf struct {
	Finish        bool   // ./finish exists and is readable (main service)
	TimeoutKill   uint64 // timeout-kill, milliseconds (0: none)
	TimeoutFinish uint64 // timeout-finish, milliseconds (0: none)
	Backoff       uint64 // backoff, seconds (0: none)

	CheckInterval uint64 // check-interval, seconds (0: no liveness check, or no executable ./check)
	CheckTimeout  uint64 // check-timeout, seconds (0: the interval)
	CheckFailures uint64 // check-failures (0: 3)
	Notify        bool   // notification-fd is valid: checks begin once the service is ready
	MaxRestarts   uint64 // max-restarts N (0: none) ...
	RestartWindow uint64 // ... within this many seconds (0: 60)
}

// Which fields of Conf an event needs (NeedConf).
const (
	ConfFinish = 1 << iota
	ConfTimeoutKill
	ConfTimeoutFinish
	ConfBackoff
	ConfCheck       // CheckInterval, CheckTimeout, CheckFailures, Notify
	ConfMaxRestarts // MaxRestarts, RestartWindow
)

// NeedConf returns the fields of Conf (Conf* bits) that the machine may
// read while it handles e; the host fills those in e.Conf.
func NeedConf(e *Event) uint8 {
	switch e.Kind {
	case EvControl:
		switch e.Byte {
		case supervise.CmdTerm, supervise.CmdDown, supervise.CmdExit:
			return ConfTimeoutKill
		}
	case EvTerm, EvScriptDone:
		return ConfTimeoutKill
	case EvStarted:
		return ConfTimeoutFinish | ConfCheck
	case EvExit, EvStartFailed:
		return ConfFinish | ConfBackoff | ConfMaxRestarts
	case EvReady:
		return ConfCheck
	case EvCheckDone:
		return ConfCheck | ConfTimeoutKill
	case EvTimer:
		if e.Timer == TimerCheck {
			return ConfCheck | ConfTimeoutKill
		}
	}
	return 0
}

// Event is one input of the machine.
type Event struct {
	Kind   EventKind
	Target Target
	Byte   byte               // EvControl
	Pid    int                // EvStarted, EvExit
	Status syscall.WaitStatus // EvExit
	OK     bool               // EvScriptDone, EvCheckDone
	Retry  bool               // EvStartFailed
	Timer  Timer              // EvTimer
	Conf   Conf               // the target's files, as NeedConf asks
}

// ActionKind says what the host must do.
type ActionKind uint8

const (
	ActStart        ActionKind = iota // start Prog for Target (ProgFinish gets ExitStatus); answer EvStarted or EvStartFailed
	ActScript                         // run control/<C> and wait for it; answer EvScriptDone
	ActSignal                         // kill(Pid, Sig)
	ActWriteStatus                    // write Target's supervise/pid (if changed), stat and status from Status
	ActArmTimer                       // (re)arm Target's Timer at At
	ActCancelTimer                    // cancel Target's Timer
	ActClearReady                     // close Target's readiness pipe, remove supervise/ready
	ActWriteReady                     // write Target's supervise/ready (now)
	ActCloseLogPipe                   // close both ends of the log pipe
	ActExit                           // runsv exits with Code
	ActCheck                          // start Target's ./check; deliver EvCheckDone when it ends (no question)
	ActKillCheck                      // SIGKILL Target's running ./check and drop its result
	ActWarn                           // print warning Warn with N (and Window) on stderr
)

var actionNames = [...]string{"start", "script", "signal", "status", "arm", "cancel", "clearready", "ready", "closelog", "exit", "check", "killcheck", "warn"}

// Warning is what an ActWarn says.
type Warning uint8

const (
	WarnCheckRestart Warning = iota // the check failed N times in a row: restarting
	WarnGiveUp                      // ./run ended N times within Window seconds: given up
)

func (k ActionKind) String() string { return actionNames[k] }

// Snapshot is what ActWriteStatus writes: the fields of the status record
// and supervise/stat at the moment of the action.
type Snapshot struct {
	Since  tai64.N
	Pid    int
	Paused bool
	Term   bool
	Want   Want
	State  byte // supervise.Down, Run, Finish
}

// Record is the 20-byte status record of s.
func (s Snapshot) Record() supervise.Record {
	w := byte(supervise.WantUp)
	if s.Want != supervise.InternalWantUp {
		w = supervise.WantDown
	}
	return supervise.Record{Since: s.Since, PID: s.Pid, Paused: s.Paused, Want: w, Term: s.Term, State: s.State}
}

// Action is one output of the machine.
type Action struct {
	Kind       ActionKind
	Target     Target
	Prog       Prog               // ActStart
	ExitStatus syscall.WaitStatus // ActStart of ProgFinish: how ./run ended
	C          byte               // ActScript
	Pid        int                // ActSignal
	Sig        syscall.Signal     // ActSignal
	Status     Snapshot           // ActWriteStatus
	Timer      Timer              // ActArmTimer, ActCancelTimer
	At         time.Time          // ActArmTimer
	Code       int                // ActExit
	Warn       Warning            // ActWarn
	N          uint64             // ActWarn
	Window     uint64             // ActWarn of WarnGiveUp: seconds
}

// cont is what the machine does with the answer to a Script.
type cont uint8

const (
	contNone    cont = iota // nothing (control/d, control/x)
	contStart               // control/u ran: start ./run
	contStop                // control/t: if it failed, SIGTERM; then the want's signal and script
	contSignal              // control/<c> for k p c h a i q 1 2: if it failed, the signal
	contSignalP             // as contSignal, then paused (p) or not (c), status
)

// Service is the state of one service. The exported fields are what
// the status record and the stat file show.
type Service struct {
	State  byte // supervise.Down, supervise.Run, supervise.Finish
	Want   Want
	Paused bool
	Term   bool
	Pid    int
	Since  tai64.N

	Started time.Time     // when ./run last started (restart throttle, backoff)
	Hold    time.Time     // no start before this (zero: none; kept once over, for cutBackoff)
	Holding bool          // the hold timer is armed: Hold is not over yet
	DownAt  time.Time     // when the process last ended
	Delay   time.Duration // the current backoff
	Once    bool          // 'o' while held: start once when the hold ends
	KillAt  time.Time     // kill timer (zero: none) ...
	KillPid int           // ... for this process

	// Additions: liveness check and give-up (see extras.go).
	Starts     uint64             // ./run (log/run) starts since runsv began
	Ended      syscall.WaitStatus // how ./run (log/run) last ended ...
	HasEnded   bool               // ... if it has
	CheckAt    time.Time          // TimerCheck: next check, or the running check's timeout (zero: none)
	Checking   bool               // a Check was issued and no EvCheckDone came yet
	CheckOn    bool               // the last conf read had a check-interval
	Result     CheckResult        // of the last check
	CheckFails uint64             // consecutive failed checks
	CheckedAt  time.Time          // when the last check ended (zero: never)
	checkStop  bool               // the TERM was the check's: the end counts as a failure
	Failed     bool               // given up (max-restarts): no start until 'u' or 'o'
	FailSince  time.Time          // start of the max-restarts window (zero: none)
	FailCount  uint64             // ends counted in that window

	await    uint8 // awaitNone, awaitStart, awaitScript
	awaitFor Prog  // awaitStart: what was started
	cont     cont  // awaitScript: what follows
	contC    byte  // awaitScript: the control byte
}

// CheckResult is the outcome of the last liveness check.
type CheckResult uint8

const (
	CheckNone CheckResult = iota // no check has ended
	CheckOK
	CheckFail
)

const (
	awaitNone = iota
	awaitStart
	awaitScript
)

// Phase names the service's state.
func (s *Service) Phase() Phase {
	switch {
	case s.await == awaitStart:
		return PhaseStarting
	case s.await == awaitScript:
		return PhaseScript
	case s.Pid == 0 && s.State == supervise.Finish:
		return PhaseFinish
	case s.Pid == 0 && s.Holding:
		return PhaseHeld
	case s.Pid == 0 && s.State == supervise.Run:
		// Only inside a step (a start that failed is being recorded).
		return PhaseRun
	case s.Pid == 0:
		return PhaseDown
	case s.State == supervise.Finish:
		return PhaseFinish
	case s.State == supervise.Down:
		return PhaseKilled
	case s.Term:
		return PhaseStopping
	}
	return PhaseRun
}

// held reports whether the restart hold still keeps the service down.
func (s *Service) held(now time.Time) bool {
	return !s.Hold.IsZero() && now.Before(s.Hold)
}

// Snapshot is the service's status as supervise/ shows it.
func (s *Service) Snapshot() Snapshot {
	return Snapshot{Since: s.Since, Pid: s.Pid, Paused: s.Paused, Term: s.Term, Want: s.Want, State: s.State}
}

// State is the machine: one service directory.
type State struct {
	Main, Log  Service
	HaveLog    bool               // log/ is a directory: there is a log service
	LogExiting bool               // the log was told to exit and its pipe closed
	LastExit   syscall.WaitStatus // how ./run last ended, for ./finish
	Exited     bool               // ActExit was issued
}

// New returns the state of a runsv that has just set up: both services
// down, wanting up unless their down file exists, since now.
func New(haveLog, mainDown, logDown bool, now time.Time) State {
	st := State{HaveLog: haveLog}
	since := tai64.FromTime(now)
	st.Main.Since, st.Log.Since = since, since
	if mainDown {
		st.Main.Want = supervise.InternalWantDown
	}
	if logDown {
		st.Log.Want = supervise.InternalWantDown
	}
	return st
}

// Phase names the state of service t.
func (st *State) Phase(t Target) Phase {
	if st.Exited {
		return PhaseExited
	}
	return st.Svc(t).Phase()
}

// Svc returns the service t.
func (st *State) Svc(t Target) *Service {
	if t == LogSvc {
		return &st.Log
	}
	return &st.Main
}

// Awaiting reports whether the machine waits for the answer to a Start or
// Script action.
func (st *State) Awaiting() bool {
	return st.Main.await != awaitNone || st.Log.await != awaitNone
}

// Deadline returns the earliest armed timer (zero if none): a host with
// no timer bookkeeping of its own can sleep until then and deliver
// EvTimer for every timer due.
func (st *State) Deadline() (time.Time, Target, Timer) {
	var at time.Time
	var tg Target
	var tm Timer
	consider := func(t time.Time, target Target, timer Timer) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at, tg, tm = t, target, timer
		}
	}
	if st.Main.Holding {
		consider(st.Main.Hold, MainSvc, TimerHold)
	}
	consider(st.Main.KillAt, MainSvc, TimerKill)
	consider(st.Main.CheckAt, MainSvc, TimerCheck)
	if st.HaveLog {
		if st.Log.Holding {
			consider(st.Log.Hold, LogSvc, TimerHold)
		}
		consider(st.Log.KillAt, LogSvc, TimerKill)
		consider(st.Log.CheckAt, LogSvc, TimerCheck)
	}
	return at, tg, tm
}

// stepper carries one step's inputs and collects its actions.
type stepper struct {
	st   State
	now  time.Time
	conf Conf
	acts []Action
}

// Step is the machine's one transition function: it applies e at time now
// to st and returns the new state and the actions, appended to acts
// (pass a reused buffer, acts[:0], to step without allocating).
func Step(st State, e Event, now time.Time, acts []Action) (State, []Action) {
	if st.Exited || (e.Target == LogSvc && !st.HaveLog) {
		return st, acts
	}
	m := stepper{st: st, now: now, conf: e.Conf, acts: acts}
	s := m.st.Svc(e.Target)
	switch e.Kind {
	case EvBegin:
	case EvControl:
		if s.await != awaitNone {
			return st, acts // the host broke the protocol: answer first
		}
		m.control(e.Target, e.Byte)
	case EvTerm:
		if m.st.Main.await != awaitNone {
			return st, acts
		}
		m.control(MainSvc, supervise.CmdExit)
	case EvStarted, EvStartFailed:
		if s.await != awaitStart {
			return st, acts
		}
		m.startAnswer(e)
	case EvScriptDone:
		if s.await != awaitScript {
			return st, acts
		}
		m.scriptAnswer(e.Target, e.OK)
	case EvExit:
		if s.await != awaitNone || e.Pid == 0 || e.Pid != s.Pid {
			return st, acts
		}
		m.exited(e.Target, e.Status)
	case EvTimer:
		if e.Timer == TimerKill {
			m.checkKill(e.Target)
		} else if e.Timer == TimerCheck {
			m.checkTimer(e.Target)
		} else if s.Holding && !s.held(now) {
			// The hold is over: the start (if wanted) follows in settle.
			s.Holding = false
		}
	case EvReady:
		if s.Pid != 0 {
			m.add(Action{Kind: ActWriteReady, Target: e.Target})
			if checkable(s) && s.CheckAt.IsZero() && !s.Checking {
				// The checks of a service with notification-fd begin.
				m.armCheck(e.Target, m.now)
			}
		}
	case EvCheckDone:
		if s.await != awaitNone {
			return st, acts
		}
		if s.Checking {
			m.checkDone(e.Target, e.OK)
		}
	}
	if !m.st.Awaiting() {
		m.settle()
	}
	return m.st, m.acts
}

func (m *stepper) add(a Action) { m.acts = append(m.acts, a) }

func (m *stepper) writeStatus(t Target) {
	m.add(Action{Kind: ActWriteStatus, Target: t, Status: m.st.Svc(t).Snapshot()})
}

func (m *stepper) signal(t Target, sig syscall.Signal) {
	if pid := m.st.Svc(t).Pid; pid > 0 {
		m.add(Action{Kind: ActSignal, Target: t, Pid: pid, Sig: sig})
	}
}

func (m *stepper) arm(t Target, tm Timer, at time.Time) {
	if tm == TimerHold {
		m.st.Svc(t).Holding = true
	}
	m.add(Action{Kind: ActArmTimer, Target: t, Timer: tm, At: at})
}

// script asks for control/<c> of the main service, with k to follow. It
// reports false (the script "failed") at once for the log service, which
// has none.
func (m *stepper) script(t Target, c byte, k cont) bool {
	if t == LogSvc {
		return false
	}
	s := &m.st.Main
	s.await, s.cont, s.contC = awaitScript, k, c
	m.add(Action{Kind: ActScript, Target: t, C: c})
	return true
}

// settle does what follows any event: the exit of runsv (or the log's
// exit that comes first), then the starts that are due, the log's first.
func (m *stepper) settle() {
	st := &m.st
	if st.Main.Want == supervise.InternalWantExit && st.Main.State == supervise.Down {
		if !st.HaveLog || st.Log.Pid == 0 {
			st.Exited = true
			m.add(Action{Kind: ActExit, Code: 0})
			return
		}
		if !st.LogExiting {
			st.LogExiting = true
			st.Log.Want = supervise.InternalWantExit
			m.writeStatus(LogSvc)
			m.add(Action{Kind: ActCloseLogPipe})
		}
	}
	if st.HaveLog && m.wantsStart(LogSvc) {
		m.start(LogSvc)
		if st.Awaiting() {
			return
		}
	}
	if m.wantsStart(MainSvc) {
		m.start(MainSvc)
	}
}

// wantsStart reports whether t should be started now.
func (m *stepper) wantsStart(t Target) bool {
	s := m.st.Svc(t)
	if s.Pid != 0 || s.held(m.now) {
		return false
	}
	if t == LogSvc {
		return s.State == supervise.Down && s.Want == supervise.InternalWantUp && !m.st.LogExiting && !s.Failed
	}
	return s.State == supervise.Finish || !s.Failed && (s.Want == supervise.InternalWantUp || s.Once)
}

// start starts ./finish (state finish), ./run (after control/u) or log/run.
func (m *stepper) start(t Target) {
	s := m.st.Svc(t)
	if s.held(m.now) {
		return
	}
	if s.Holding {
		m.add(Action{Kind: ActCancelTimer, Target: t, Timer: TimerHold})
	}
	s.Hold, s.Holding = time.Time{}, false
	s.Once = false
	switch {
	case t == LogSvc:
		m.fork(t, ProgLogRun)
	case s.State == supervise.Finish:
		m.fork(t, ProgFinish)
	default:
		if !m.script(t, supervise.CmdUp, contStart) {
			m.fork(t, ProgRun)
		}
	}
}

func (m *stepper) fork(t Target, p Prog) {
	s := m.st.Svc(t)
	if p != ProgFinish {
		m.add(Action{Kind: ActClearReady, Target: t})
	}
	s.await, s.awaitFor = awaitStart, p
	a := Action{Kind: ActStart, Target: t, Prog: p}
	if p == ProgFinish {
		a.ExitStatus = m.st.LastExit
	}
	m.add(a)
}

func (m *stepper) startAnswer(e Event) {
	t := e.Target
	s := m.st.Svc(t)
	s.await = awaitNone
	finish := s.awaitFor == ProgFinish
	if e.Kind == EvStartFailed {
		if e.Retry {
			// runit: the fork failed; try again in 5 seconds.
			s.Hold = m.now.Add(5 * time.Second)
			m.arm(t, TimerHold, s.Hold)
			return
		}
		// As for a child that exited 111 (runit's child prints the
		// message, the host does here).
		if !finish {
			m.started(t, 0)
		}
		m.exited(t, syscall.WaitStatus(111<<8))
		return
	}
	if finish {
		s.Pid = e.Pid
		m.writeStatus(t)
		m.armKill(t, m.conf.TimeoutFinish)
		return
	}
	m.started(t, e.Pid)
}

// started records that ./run (or log/run) has started as pid.
func (m *stepper) started(t Target, pid int) {
	s := m.st.Svc(t)
	s.Since = sinceOf(m.now)
	s.Started = m.now
	s.State = supervise.Run
	s.Pid = pid
	s.Paused = false
	s.Term = false
	s.Starts++
	m.writeStatus(t)
	m.checkStart(t, pid)
}

// sinceOf is runsv's timestamp: microseconds, plus runit's 500 ns.
func sinceOf(now time.Time) tai64.N {
	n := tai64.FromTime(now)
	n.Nano = n.Nano/1000*1000 + 500
	return n
}

// exited handles the end of t's process.
func (m *stepper) exited(t Target, ws syscall.WaitStatus) {
	s := m.st.Svc(t)
	asked := s.Term && !s.checkStop || s.State == supervise.Down
	ranEnded := s.State != supervise.Finish
	s.Pid = 0
	s.Term = false
	s.checkStop = false
	m.checkEnd(t)
	if !s.KillAt.IsZero() {
		s.KillAt = time.Time{}
		m.add(Action{Kind: ActCancelTimer, Target: t, Timer: TimerKill})
	}
	m.add(Action{Kind: ActClearReady, Target: t})
	if ranEnded {
		s.Ended, s.HasEnded = ws, true
		if !asked && s.Want == supervise.InternalWantUp {
			m.countFailure(t)
		}
	}
	if t == MainSvc {
		m.st.LastExit = ws
		if s.State != supervise.Finish && m.conf.Finish {
			s.State = supervise.Finish
			m.writeStatus(t)
			return
		}
	}
	s.State = supervise.Down
	s.Since = sinceOf(m.now)
	m.writeStatus(t)
	s.DownAt = m.now
	if s.Failed {
		return
	}
	if hold := restartHold(s, m.now.Sub(s.Started), m.conf.Backoff); hold > 0 {
		s.Hold = m.now.Add(hold)
		m.arm(t, TimerHold, s.Hold)
	}
}

// restartHold returns how long a service that has just gone down after
// running for ran waits before it is started again: runit's one second
// after a run shorter than a second, or the doubling backoff (limit in
// seconds, 0 or 1 for none).
func restartHold(s *Service, ran time.Duration, limit uint64) time.Duration {
	if limit <= 1 {
		s.Delay = 0
		if ran < time.Second {
			return time.Second
		}
		return 0
	}
	// Beyond 2^32 s (136 years) the wait is capped: time.Duration would
	// overflow and wrap to no wait at all.
	max := time.Duration(min(limit, 1<<32)) * time.Second
	if ran >= max {
		s.Delay = 0
		return 0
	}
	switch {
	case s.Delay < time.Second:
		s.Delay = time.Second
	case s.Delay < max:
		s.Delay *= 2
		if s.Delay > max {
			s.Delay = max
		}
	}
	return s.Delay
}

// maxKillMs is the longest timeout-kill or timeout-finish taken (over 31
// years, and far from time.Duration's overflow); a longer one, like 0 or
// none, means never (as in s6).
const maxKillMs = 1e12

// armKill starts the kill timer (timeout-kill after a SIGTERM,
// timeout-finish when ./finish starts) for the current process.
func (m *stepper) armKill(t Target, ms uint64) {
	s := m.st.Svc(t)
	if ms == 0 || ms > maxKillMs || s.Pid == 0 {
		return
	}
	s.KillAt = m.now.Add(time.Duration(ms) * time.Millisecond)
	s.KillPid = s.Pid
	m.arm(t, TimerKill, s.KillAt)
}

// checkKill sends SIGKILL (and SIGCONT) when the kill timer is due.
func (m *stepper) checkKill(t Target) {
	s := m.st.Svc(t)
	if s.KillAt.IsZero() || m.now.Before(s.KillAt) {
		return
	}
	if s.Pid != 0 && s.Pid == s.KillPid {
		m.signal(t, syscall.SIGKILL)
		m.signal(t, syscall.SIGCONT)
	}
	s.KillAt = time.Time{}
}

// cutBackoff is `sv up` during a backoff wait: the start happens as soon
// as runit's own one-second rule allows.
func (m *stepper) cutBackoff(t Target) {
	s := m.st.Svc(t)
	if s.Hold.IsZero() || s.DownAt.IsZero() {
		return
	}
	if min := s.DownAt.Add(time.Second); s.Hold.After(min) {
		s.Hold = min
		s.Delay = 0
		if s.held(m.now) {
			m.arm(t, TimerHold, s.Hold)
		} else if s.Holding {
			s.Holding = false
			m.add(Action{Kind: ActCancelTimer, Target: t, Timer: TimerHold})
		}
	}
}

// stop sends TERM (unless control/t exits 0) and, for want down or exit,
// CONT and the control/d or control/x script.
func (m *stepper) stop(t Target) {
	if m.st.Svc(t).Pid != 0 && m.script(t, supervise.CmdTerm, contStop) {
		return // continued in scriptAnswer
	}
	m.stopTerm(t, false)
}

// stopTerm is stop after control/t: ok tells whether it exited 0.
func (m *stepper) stopTerm(t Target, ok bool) {
	s := m.st.Svc(t)
	if s.Pid != 0 && !ok {
		m.signal(t, supervise.SignalOf(supervise.CmdTerm))
		s.Term = true
		m.writeStatus(t)
		m.armKill(t, m.conf.TimeoutKill)
	}
	switch s.Want {
	case supervise.InternalWantDown:
		m.signal(t, syscall.SIGCONT)
		m.script(t, supervise.CmdDown, contNone)
	case supervise.InternalWantExit:
		m.signal(t, syscall.SIGCONT)
		m.script(t, supervise.CmdExit, contNone)
	}
}

func (m *stepper) scriptAnswer(t Target, ok bool) {
	s := m.st.Svc(t)
	s.await = awaitNone
	c := s.contC
	switch s.cont {
	case contStart:
		m.fork(t, ProgRun)
	case contStop:
		m.stopTerm(t, ok)
	case contSignal, contSignalP:
		if !ok {
			m.signal(t, supervise.SignalOf(c))
		}
		if s.cont == contSignalP {
			s.Paused = c == supervise.CmdPause
			m.writeStatus(t)
		}
	}
}

// control executes one command byte for t.
func (m *stepper) control(t Target, c byte) {
	s := m.st.Svc(t)
	running := s.State == supervise.Run
	switch c {
	case supervise.CmdUp:
		s.Want = supervise.InternalWantUp
		m.clearFailed(t)
		m.writeStatus(t)
		m.cutBackoff(t)
		// runit: state down is enough, also after 'k' while the old
		// process (or a ./finish 'k' never signals) still runs; its exit
		// is then a stranger's.
		if s.State == supervise.Down {
			m.start(t)
		}
	case supervise.CmdDown:
		s.Want = supervise.InternalWantDown
		s.Once = false
		m.writeStatus(t)
		if running {
			m.stop(t)
		}
	case supervise.CmdOnce:
		s.Want = supervise.InternalWantDown
		m.clearFailed(t)
		m.writeStatus(t)
		if s.State == supervise.Down {
			if s.held(m.now) {
				s.Once = true
			} else {
				m.start(t)
			}
		}
	case supervise.CmdExit:
		if t == LogSvc {
			return
		}
		s.Want = supervise.InternalWantExit
		s.Once = false
		m.writeStatus(t)
		if running {
			m.stop(t)
		}
	case supervise.CmdTerm:
		if running {
			m.stop(t)
		}
	case supervise.CmdKill:
		// runit: the state is set to down without a status write.
		s.State = supervise.Down
		if running && !m.script(t, supervise.CmdKill, contSignal) {
			m.signal(t, supervise.SignalOf(c))
		}
	case supervise.CmdPause, supervise.CmdCont:
		if running && m.script(t, c, contSignalP) {
			return
		}
		if running {
			m.signal(t, supervise.SignalOf(c))
		}
		s.Paused = c == supervise.CmdPause
		m.writeStatus(t)
	case supervise.CmdHup, supervise.CmdAlarm, supervise.CmdInt, supervise.CmdQuit, supervise.CmdUsr1, supervise.CmdUsr2:
		if running && !m.script(t, c, contSignal) {
			m.signal(t, supervise.SignalOf(c))
		}
	}
}

// Liveness checks (check-interval, check-timeout, check-failures): one
// timer, TimerCheck, is the next check while none runs and the running
// check's timeout while one runs. Checks run only while ./run runs, is
// neither stopped nor told to stop (state run, no TERM), and, with
// notification-fd, once it is ready; a paused service is not checked (the
// interval starts again).

// secs converts a number of seconds from a file, capped at 2^32 s so
// that time.Duration cannot overflow.
func secs(n uint64) time.Duration { return time.Duration(min(n, 1<<32)) * time.Second }

// checkable reports whether s is in a state where its check runs.
func checkable(s *Service) bool {
	return s.Pid != 0 && s.State == supervise.Run && !s.Term
}

// armCheck arms the next check one interval after from (none if the
// interval is gone).
func (m *stepper) armCheck(t Target, from time.Time) {
	s := m.st.Svc(t)
	s.CheckOn = m.conf.CheckInterval > 0
	if !s.CheckOn {
		m.cancelCheckTimer(t)
		return
	}
	s.CheckAt = from.Add(secs(m.conf.CheckInterval))
	m.arm(t, TimerCheck, s.CheckAt)
}

func (m *stepper) cancelCheckTimer(t Target) {
	if s := m.st.Svc(t); !s.CheckAt.IsZero() {
		s.CheckAt = time.Time{}
		m.add(Action{Kind: ActCancelTimer, Target: t, Timer: TimerCheck})
	}
}

// killCheck drops a running check.
func (m *stepper) killCheck(t Target) {
	if s := m.st.Svc(t); s.Checking {
		s.Checking = false
		m.add(Action{Kind: ActKillCheck, Target: t})
	}
}

// checkStart begins the checks of a process that has just started (pid 0:
// its exec failed): at once unless it has to become ready first.
func (m *stepper) checkStart(t Target, pid int) {
	s := m.st.Svc(t)
	m.killCheck(t) // one left from a process 'k' left behind
	m.cancelCheckTimer(t)
	s.CheckFails = 0
	if pid == 0 {
		return
	}
	if m.conf.Notify {
		s.CheckOn = m.conf.CheckInterval > 0
		return
	}
	m.armCheck(t, m.now)
}

// checkEnd stops the checks of a process that has ended.
func (m *stepper) checkEnd(t Target) {
	m.killCheck(t)
	m.cancelCheckTimer(t)
}

// checkTimer: the interval is over (start the check) or the running
// check timed out (a failure).
func (m *stepper) checkTimer(t Target) {
	s := m.st.Svc(t)
	if s.CheckAt.IsZero() || m.now.Before(s.CheckAt) {
		return
	}
	s.CheckAt = time.Time{}
	if s.Checking {
		m.killCheck(t)
		m.checkResult(t, false)
		return
	}
	if !checkable(s) {
		return
	}
	if m.conf.CheckInterval == 0 {
		s.CheckOn = false
		return
	}
	if s.Paused {
		m.armCheck(t, m.now)
		return
	}
	s.Checking = true
	m.add(Action{Kind: ActCheck, Target: t})
	timeout := m.conf.CheckTimeout
	if timeout == 0 {
		timeout = m.conf.CheckInterval
	}
	s.CheckAt = m.now.Add(secs(timeout))
	m.arm(t, TimerCheck, s.CheckAt)
}

// checkDone takes the result of the running check.
func (m *stepper) checkDone(t Target, ok bool) {
	m.st.Svc(t).Checking = false
	m.cancelCheckTimer(t)
	m.checkResult(t, ok)
}

// checkResult counts a check's result; check-failures failures in a row
// restart the service: SIGTERM (no control/t), and timeout-kill's SIGKILL.
func (m *stepper) checkResult(t Target, ok bool) {
	s := m.st.Svc(t)
	s.CheckedAt = m.now
	if ok {
		s.Result, s.CheckFails = CheckOK, 0
	} else {
		s.Result = CheckFail
		s.CheckFails++
	}
	if !checkable(s) {
		return
	}
	limit := m.conf.CheckFailures
	if limit == 0 {
		limit = 3
	}
	if !ok && s.CheckFails >= limit {
		m.add(Action{Kind: ActWarn, Target: t, Warn: WarnCheckRestart, N: s.CheckFails})
		s.checkStop = true
		m.signal(t, syscall.SIGTERM)
		s.Term = true
		m.writeStatus(t)
		m.armKill(t, m.conf.TimeoutKill)
		return
	}
	m.armCheck(t, m.now)
}

// Give-up (max-restarts N[/seconds]): an end of ./run nobody asked for
// (no TERM of runsv's but the liveness check's, no 'k') while it wants up
// counts; N of them within the window (which begins at the first counted,
// as systemd's StartLimitBurst) leave the service down, Failed, until 'u'
// or 'o'.

// countFailure counts an end of ./run nobody asked for.
func (m *stepper) countFailure(t Target) {
	if m.conf.MaxRestarts == 0 {
		return
	}
	s := m.st.Svc(t)
	window := m.conf.RestartWindow
	if window == 0 {
		window = 60
	}
	if s.FailSince.IsZero() || m.now.Sub(s.FailSince) >= secs(window) {
		s.FailSince, s.FailCount = m.now, 0
	}
	s.FailCount++
	if s.FailCount >= m.conf.MaxRestarts {
		s.Failed = true
		m.add(Action{Kind: ActWarn, Target: t, Warn: WarnGiveUp, N: s.FailCount, Window: window})
	}
}

// clearFailed is 'u' or 'o': the service may start again, with a new
// count.
func (m *stepper) clearFailed(t Target) {
	s := m.st.Svc(t)
	s.Failed, s.FailSince, s.FailCount = false, time.Time{}, 0
}
