package stages

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/initfiles"
	"gorunit/reaper"
	"gorunit/runsvdir"
)

var reaperExit0 = reaper.Exit{}

// The one-process stage 2. Where /etc/runit/2 does not exist, process 1
// itself scans /etc/service as runsvdir does and hosts every service's
// supervision (the runsv state machine, once per service) in one
// goroutine: no runsvdir and no runsv process. supervise/ is kept exactly
// as runsv keeps it, so sv, svc, svstat and runit's own sv work unchanged;
// log/run still runs as its own process on a pipe process 1 holds.
// Services without log/ write into a pipe process 1 reads: their lines go
// to process 1's standard output as "NAME: line" (/etc/service/.untagged
// leaves out the prefix). A service with the file main-service ends the
// whole tree when it ends (runsv.MainServiceFile): its exit code becomes
// the container's.
//
// With /etc/service/.per-process (PerProcessFile) the built-in stage 2
// runs runsvdir and a runsv per service instead, as runit does.

// PerProcessFile in /etc/service makes the built-in stage 2 run runit's
// process tree (runsvdir, one runsv per service) instead of hosting the
// services in process 1.
const PerProcessFile = ".per-process"

// hostStage2 starts the one-process stage 2 and reports whether it did.
func (p *pid1) hostStage2() bool {
	if exists(serviceDir + "/" + PerProcessFile) {
		return false
	}
	var sig [2]int
	if err := unix.Pipe2(sig[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		warn("unable to create pipe, starting runsvdir: ", errstr.Str(err))
		return false
	}
	info("enter stage: ", p.name)
	env := p.env
	if os.Getenv("PATH") == "" {
		env = append(env[:len(env):len(env)], "PATH="+defaultPath)
	}
	if p.container {
		explain(serviceDir)
	}
	p.hosting, p.hostSig = true, sig[1]
	cfg := runsvdir.HostedConfig{
		Dir: serviceDir, Reaper: p.r, Env: env, Sig: sig[0], Out: 1,
		Untagged:  exists(serviceDir + "/" + runsvdir.UntaggedFile),
		OnMainEnd: p.mainEnded, Lock: &p.hostLock,
	}
	go func() {
		for {
			// Hosted recovers a service's panic itself; one in the scan
			// lands here: hosting starts again a second later.
			protect(func() { runsvdir.Hosted(cfg) })
			time.Sleep(time.Second)
		}
	}()
	return true
}

// mainEnded runs on the hosting goroutine: the main service's exit code
// becomes the container's (process 1's exit-code file), and process 1
// shuts down as on SIGTERM in a container (stage 3, then exit; on a
// machine: power off). Once stage 2 is over, the main service is only
// being taken down with the others: nothing happens.
func (p *pid1) mainEnded(code int) {
	if p.stage2Over.Load() {
		// Taken down with the rest (docker stop, runit-init 0): the
		// shutdown was asked for, its exit code is not the service's.
		return
	}
	initfiles.WriteExitcode(code)
	select {
	case p.mainEnd <- code:
	default:
	}
}

// freezeHost stops the hosting loop for good (process 1's final
// sequence): it takes the loop's lock, which the loop gives up only while
// asleep, and never gives it back.
func (p *pid1) freezeHost() {
	if p.hosting && !p.frozen {
		p.frozen = true
		p.hostLock.Lock()
	}
}

// tellHost passes a signal to the hosting loop.
func (p *pid1) tellHost(sig unix.Signal) {
	unix.Write(p.hostSig, []byte{byte(sig)})
}

// stopHosting ends stage 2: the hosting loop stops scanning and goes on
// supervising, so that stage 3 (/etc/runit/3 with sv, or the built-in
// one) takes the services down through their control FIFOs.
func (p *pid1) stopHosting() {
	p.stage2Over.Store(true)
	p.tellHost(unix.SIGTERM)
	p.done, p.exit = true, reaperExit0
}
