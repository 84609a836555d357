package runsvdir

import (
	"sync"
	"time"

	"gorunit/reaper"
	"gorunit/runsv"
)

// HostedConfig is process 1's one-process stage 2 (see Hosted).
type HostedConfig struct {
	Dir    string         // the service directory (/etc/service)
	Reaper *reaper.Reaper // process 1's: the one owner of wait4
	Env    []string       // the services' environment
	// Sig is the read end of a non-blocking pipe on which process 1
	// writes signal numbers as bytes: SIGALRM forces a scan, SIGTERM
	// stops scanning (the services stay hosted for stage 3).
	Sig int
	// Out is where the services without log/ write, line by line,
	// prefixed with their names unless Untagged.
	Out      int
	Untagged bool
	// OnMainEnd is called, on the hosting goroutine, when the main
	// service (runsv.MainServiceFile) ended for good.
	OnMainEnd func(code int)
	// Lock is held by the hosting loop whenever it is not asleep:
	// process 1 locks it for good before it kills every process, so
	// that no hosted service is started again meanwhile.
	Lock *sync.Mutex
}

// Hosted runs runsvdir's scan of c.Dir inside process 1 and hosts every
// service found, in this goroutine, until process 1 ends: no runsvdir and
// no runsv process. Messages go to standard error, as runsvdir's would
// without a log argument.
func Hosted(c HostedConfig) int {
	d := &runner{
		dir:  c.Dir,
		dir0: c.Dir + "\x00",
		pgrp: true,
		idx:  make(map[key]*service),
		r:    c.Reaper,
		ifd:  -1,
		wd:   -1,
		logr: -1,
		tee:  -1,
		t0:   time.Now(),
		dent: make([]byte, 8192),
		mbuf: make([]byte, 0, 256),
		sigr: c.Sig,
		sigw: -1,
		keep: true,
		env:  c.Env,
	}
	h, err := runsv.NewHost(c.Reaper, c.Env)
	if err != nil {
		d.say("fatal", "unable to create pipe: ", err.Error())
		return 111
	}
	h.TagOutput(c.Out, !c.Untagged)
	d.onMainEnd = c.OnMainEnd
	d.lock = c.Lock
	h.OnMainEnd = d.mainEnded
	d.host = h
	d.loopInit()
	for {
		if code, done := d.protectedRun(); done {
			return code
		}
		// A bug in the scan: report it, rescan, go on hosting.
		d.say("warning", "internal error, continuing")
		d.check = true
	}
}

func (d *runner) protectedRun() (code int, done bool) {
	defer func() {
		if recover() != nil {
			code, done = 0, false
		}
	}()
	return d.loopRun(), true
}
