package main

// The 100-service tree (each service with an svlogd logger) that rows 1,
// 3, 4 and 7 measure, in this order: all up, 2 s to settle, memory and
// threads (row 1, ".2s"), the idle
// window (row 7), memory and threads again (row 1), sv status and sv -w 7 restart (row 3),
// kill -9 restarts (row 4). Each round gets a fresh tree.

import "time"

func benchTree100(im impl) (result, error) {
	svdir, services, err := makeTree(100, true)
	if err != nil {
		return nil, err
	}
	defer removeTree(svdir)
	t, err := startTree(im, svdir)
	if err != nil {
		return nil, err
	}
	res := result{}
	err = func() error {
		if err := waitAllUp(services, true, 20*time.Millisecond, 60*time.Second); err != nil {
			return err
		}
		settle, nSv, nKill := 2*time.Second, 5, 10
		if quick {
			settle, nSv, nKill = time.Second, 3, 5
		}
		time.Sleep(settle)
		if err := measureMemory(t, len(services), res, ".2s"); err != nil {
			return err
		}
		if err := measureIdle(t, idleTime, res); err != nil {
			return err
		}
		if err := measureMemory(t, len(services), res, ""); err != nil {
			return err
		}
		// Every service below has been running for more than the idle
		// window, so runsv restarts it without its one-second throttle;
		// each restart uses a different service.
		if err := measureSvStatus(im, services, res); err != nil {
			return err
		}
		if err := measureSvRestart(im, services[1:1+nSv], res); err != nil {
			return err
		}
		return measureKillRestart(services[10:10+nKill], res)
	}()
	if serr := t.stop(); err == nil && serr != nil {
		err = serr
	}
	return res, err
}
